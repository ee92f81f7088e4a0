// Dispatches a parsed Graph request to its route, and runs JSON $batch: up to 20 requests, each with its
// own status, headers and body, `dependsOn` (a failed dependency gives 424), and per-item throttling and
// faults (a 429 inside the batch carries its own Retry-After header).
import { type EmulatorContext, now } from "./context.js";
import { getGroup, getMe, getUser, listGroups, listMembers, listUsers } from "./directoryRoutes.js";
import { creationOptions, deleteMethod, getMethod, listMethods, postMethod } from "./fido2Routes.js";
import {
  type GraphRequest,
  type GraphResponse,
  graphError,
  throttledResponse,
  unavailableResponse,
} from "./graphHttp.js";
import { policyRoute } from "./policyRoutes.js";

type Route = {
  methods: string[];
  pattern: RegExp;
  handle: (
    ctx: EmulatorContext,
    req: GraphRequest,
    m: RegExpExecArray,
  ) => GraphResponse | Promise<GraphResponse>;
};

const who = "(?:users/([^/]+)|me)";
const routes: Route[] = [
  { methods: ["GET"], pattern: /^\/users$/i, handle: (c, r) => listUsers(c, r) },
  { methods: ["GET"], pattern: /^\/me$/i, handle: (c, r) => getMe(c, r) },
  {
    methods: ["GET"],
    pattern: new RegExp(`^/${who}/authentication/fido2Methods/creationOptions(?:\\((.*)\\))?$`, "i"),
    handle: (c, r, m) => creationOptions(c, r, m[1], m[2]),
  },
  {
    methods: ["GET", "POST"],
    pattern: new RegExp(`^/${who}/authentication/fido2Methods$`, "i"),
    handle: (c, r, m) => (r.method === "GET" ? listMethods(c, r, m[1]) : postMethod(c, r, m[1])),
  },
  {
    methods: ["GET", "DELETE"],
    pattern: new RegExp(`^/${who}/authentication/fido2Methods/([^/()]+)$`, "i"),
    handle: (c, r, m) =>
      r.method === "GET" ? getMethod(c, r, m[1], m[2] ?? "") : deleteMethod(c, r, m[1], m[2] ?? ""),
  },
  { methods: ["GET"], pattern: /^\/users\/([^/]+)$/i, handle: (c, r, m) => getUser(c, r, m[1] ?? "") },
  { methods: ["GET"], pattern: /^\/groups$/i, handle: (c, r) => listGroups(c, r) },
  { methods: ["GET"], pattern: /^\/groups\/([^/]+)$/i, handle: (c, r, m) => getGroup(c, r, m[1] ?? "") },
  {
    methods: ["GET"],
    pattern: /^\/groups\/([^/]+)\/(members|transitiveMembers)$/i,
    handle: (c, r, m) => listMembers(c, r, m[1] ?? "", (m[2] ?? "").toLowerCase() === "transitivemembers"),
  },
  {
    methods: ["GET", "PATCH", "DELETE"],
    pattern:
      /^\/policies\/authenticationMethodsPolicy\/authenticationMethodConfigurations(?:\/fido2|\('fido2'\))$/i,
    handle: (c, r) => policyRoute(c, r),
  },
];

export async function routeGraph(ctx: EmulatorContext, req: GraphRequest): Promise<GraphResponse> {
  if (/^\/\$batch$/i.test(req.path)) {
    if (req.method !== "POST")
      return graphError(req, 405, "BadRequest", "The $batch endpoint only accepts POST.");
    return runBatch(ctx, req);
  }
  for (const route of routes) {
    const m = route.pattern.exec(req.path);
    if (!m) continue;
    if (!route.methods.includes(req.method)) {
      return graphError(
        req,
        405,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
      );
    }
    return route.handle(ctx, req, m);
  }
  const segment = req.path.split("/").filter(Boolean).pop() ?? "";
  return graphError(req, 400, "BadRequest", `Resource not found for the segment '${segment}'.`);
}

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

export const maxBatchRequests = 20;

function checkBatch(body: unknown): BatchItem[] | string {
  if (
    typeof body !== "object" ||
    body === null ||
    !Array.isArray((body as { requests?: unknown }).requests)
  ) {
    return "The batch request body must be a JSON object with a 'requests' array.";
  }
  const items = (body as { requests: unknown[] }).requests;
  if (items.length === 0) return "The batch request must contain at least one request.";
  if (items.length > maxBatchRequests)
    return `The batch request contains ${items.length} requests; the limit is ${maxBatchRequests}.`;
  const ids = new Set<string>();
  for (const raw of items) {
    const it = raw as Partial<BatchItem>;
    if (
      typeof it !== "object" ||
      it === null ||
      typeof it.id !== "string" ||
      typeof it.method !== "string" ||
      typeof it.url !== "string"
    ) {
      return "Each batch request needs string 'id', 'method' and 'url' properties.";
    }
    if (ids.has(it.id)) return `The batch request id '${it.id}' is not unique.`;
    if (it.body !== undefined) {
      const ct = Object.entries(it.headers ?? {}).find(([k]) => k.toLowerCase() === "content-type");
      if (!ct) return `Batch request '${it.id}' has a body but no Content-Type header.`;
    }
    for (const d of it.dependsOn ?? [])
      if (!ids.has(d)) return `Batch request '${it.id}' depends on '${d}', which does not come before it.`;
    ids.add(it.id);
  }
  return items as BatchItem[];
}

async function runBatch(ctx: EmulatorContext, req: GraphRequest): Promise<GraphResponse> {
  const items = checkBatch(req.body);
  if (typeof items === "string") return graphError(req, 400, "BadRequest", items);
  const statuses = new Map<string, number>();
  const responses: { id: string; status: number; headers: Record<string, string>; body?: unknown }[] = [];
  for (const item of items) {
    const sub = await runItem(ctx, req, item, statuses);
    statuses.set(item.id, sub.status);
    const headers: Record<string, string> = { ...(sub.headers ?? {}) };
    if (sub.body !== undefined) headers["Content-Type"] ??= "application/json";
    responses.push({
      id: item.id,
      status: sub.status,
      headers,
      ...(sub.body !== undefined ? { body: sub.body } : {}),
    });
  }
  return { status: 200, body: { responses } };
}

async function runItem(
  ctx: EmulatorContext,
  outer: GraphRequest,
  item: BatchItem,
  statuses: Map<string, number>,
): Promise<GraphResponse> {
  const failedDep = (item.dependsOn ?? []).find((d) => (statuses.get(d) ?? 0) >= 400);
  if (failedDep)
    return graphError(outer, 424, "FailedDependency", `The request depends on '${failedDep}', which failed.`);
  const relative = item.url.startsWith("/") ? item.url : `/${item.url}`;
  let parsed: URL;
  let path: string;
  try {
    parsed = new URL(relative, "https://batch.invalid");
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return graphError(outer, 400, "BadRequest", `Invalid request URL '${item.url}'.`);
  }
  if (/^\/(v1\.0|beta)\//i.test(path))
    return graphError(
      outer,
      400,
      "BadRequest",
      "Batch request URLs are relative to the version: leave out /v1.0 or /beta.",
    );
  if (/^\/\$batch$/i.test(path))
    return graphError(outer, 400, "BadRequest", "A batch request cannot contain a batch.");
  const method = item.method.toUpperCase();
  for (const fault of ctx.faults.pick(method, `/${outer.version}${path}`)) {
    if (fault.kind === "latency") await new Promise((r) => setTimeout(r, fault.latencyMs ?? 1000));
    if (fault.kind === "429") return throttledResponse(outer, fault.retryAfterSeconds ?? 2);
    if (fault.kind === "503" || fault.kind === "drop")
      return unavailableResponse(outer, fault.retryAfterSeconds);
  }
  const budget = ctx.throttle.take(outer.principal.appId, ctx.tenantId, now(ctx));
  if (!budget.ok) return throttledResponse(outer, budget.retryAfterSeconds, budget.headers);
  return routeGraph(ctx, {
    ...outer,
    method,
    path,
    query: parsed.searchParams,
    headers: { ...outer.headers, ...(item.headers ?? {}) },
    body: item.body,
  });
}
