// The text Pulumi stores as `__provider` with every dynamic resource, and the base class that stores it. The
// text is what refresh and destroy run, long after the program that wrote it, so it holds no logic: one small
// forwarding function per method name loads the compiled implementation from the project at call time, and
// today's code serves yesterday's state. It is written here by hand rather than produced by Pulumi's closure
// serializer (pulumi.runtime.serializeFunction), which wraps each captured function in its own `with` scope
// and made the same forwarding about 3 KB per resource, stored twice (inputs and outputs).
import * as pulumi from "@pulumi/pulumi";

/** Every method the dynamic-provider host calls; the implementation must define them all. */
const methods = ["configure", "check", "diff", "create", "read", "update", "delete"] as const;

const safeName = /^[A-Za-z0-9_/.]+$/;

/**
 * The serialized provider for an implementation exported as `exportName` from `module`, a path relative to
 * the provider host's working directory (the engine starts it in `<project>/dist`), so no machine path lands
 * in state. The host evaluates the text as a CommonJS module and calls `handler()` for the provider object.
 * Node's own "Cannot find module '<project>/dist/…'" says what is missing when the build is absent.
 */
export function forwardingProviderText(module: string, exportName: string): string {
  if (!safeName.test(module) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(exportName))
    throw new Error(`forwardingProviderText: unexpected module '${module}' or export '${exportName}'`);
  return (
    `exports.handler=()=>{const p={};for(const n of${JSON.stringify(methods)})` +
    `p[n]=async(...a)=>(await import(require("node:url").pathToFileURL(process.cwd()+"/"+${JSON.stringify(module)}).href))` +
    `.${exportName}[n](...a);return p};`
  );
}

/**
 * A dynamic resource whose state carries `providerText`. pulumi.dynamic.Resource does exactly this (the type
 * token `pulumi-nodejs:dynamic/<module>:<type>` and the `__provider` property) after serializing a provider
 * object; taking the text directly keeps it to the few hundred bytes above.
 */
export class ThinDynamicResource extends pulumi.CustomResource {
  constructor(
    providerText: string,
    module: string,
    type: string,
    name: string,
    props: pulumi.Inputs,
    opts?: pulumi.CustomResourceOptions,
  ) {
    if ("__provider" in props) throw new Error("A dynamic resource must not define the __provider key");
    super(`pulumi-nodejs:dynamic/${module}:${type}`, name, { ...props, __provider: providerText }, opts);
  }
}
