// The FIDO2 authentication method policy: GET, PATCH (204) and DELETE (204, back to the default),
// at /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2 (or ('Fido2')).
import { authorize } from "./authorize.js";
import type { EmulatorContext } from "./context.js";
import { type GraphRequest, type GraphResponse, graphError } from "./graphHttp.js";
import { defaultFido2Policy, PolicyShapeError, patchFido2Policy } from "./policyModel.js";

export function policyRoute(ctx: EmulatorContext, req: GraphRequest): GraphResponse {
  if (req.method === "GET") {
    const denied = authorize(req, "policy.read");
    if (denied) return denied;
    return {
      status: 200,
      body: {
        "@odata.context": `${ctx.url}/${req.version}/$metadata#authenticationMethodConfigurations/$entity`,
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
        ...ctx.store.read().policy,
      },
    };
  }
  const denied = authorize(req, "policy.write");
  if (denied) return denied;
  if (req.method === "PATCH") {
    try {
      ctx.store.mutate((s) => {
        s.policy = patchFido2Policy(s.policy, req.body);
      });
    } catch (err) {
      if (PolicyShapeError.isInstance(err)) return graphError(req, 400, "BadRequest", err.message);
      throw err;
    }
    return { status: 204 };
  }
  if (req.method === "DELETE") {
    ctx.store.mutate((s) => {
      s.policy = defaultFido2Policy();
    });
    return { status: 204 };
  }
  return graphError(req, 405, "Request_BadRequest", "The HTTP method is not supported for this resource.");
}
