// OData paging and projection as Graph does it for directory collections: `$top` (1–999), an opaque
// `$skiptoken` carried in `@odata.nextLink`, and `$select` checked against the type's properties.
import type { EmulatorContext } from "./context.js";
import { type GraphRequest, type GraphResponse, graphError } from "./graphHttp.js";

export const defaultPageSize = 100;
export const maxPageSize = 999;

export type PageResult = { ok: true; body: Record<string, unknown> } | { ok: false; response: GraphResponse };

export function pageOf<T>(
  ctx: EmulatorContext,
  req: GraphRequest,
  items: readonly T[],
  render: (item: T) => Record<string, unknown>,
  contextFragment: string,
): PageResult {
  const topText = req.query.get("$top");
  let top = defaultPageSize;
  if (topText !== null) {
    top = Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > maxPageSize) {
      return {
        ok: false,
        response: graphError(
          req,
          400,
          "Request_BadRequest",
          `Invalid page size specified: '${topText}'. Must be between 1 and ${maxPageSize} inclusive.`,
        ),
      };
    }
  }
  let offset = 0;
  const token = req.query.get("$skiptoken");
  if (token !== null) {
    const decoded = Buffer.from(token, "base64url").toString("utf8");
    const m = /^kf1:(\d+)$/.exec(decoded);
    if (!m)
      return {
        ok: false,
        response: graphError(
          req,
          400,
          "Directory_ExpiredPageToken",
          "The specified page token value has expired and can no longer be included in your request.",
        ),
      };
    offset = Number(m[1]);
  }
  const slice = items.slice(offset, offset + top);
  const body: Record<string, unknown> = {
    "@odata.context": `${ctx.url}/${req.version}/$metadata#${contextFragment}`,
    value: slice.map(render),
  };
  if (offset + top < items.length) {
    const q = new URLSearchParams();
    for (const [k, v] of req.query) if (k !== "$skiptoken") q.set(k, v);
    q.set("$skiptoken", Buffer.from(`kf1:${offset + top}`).toString("base64url"));
    body["@odata.nextLink"] = `${ctx.url}/${req.version}${req.path}?${q.toString().replace(/%24/g, "$")}`;
  }
  return { ok: true, body };
}

/** The $select list, or undefined; an unknown property gives Graph's 400. */
export function selection(
  req: GraphRequest,
  known: readonly string[],
  typeName: string,
): string[] | GraphResponse | undefined {
  const text = req.query.get("$select");
  if (text === null) return undefined;
  const props = text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  for (const p of props) {
    if (!known.includes(p)) {
      return graphError(
        req,
        400,
        "Request_BadRequest",
        `Could not find a property named '${p}' on type 'microsoft.graph.${typeName}'.`,
      );
    }
  }
  return props;
}

export function project(
  full: Record<string, unknown>,
  select: string[] | undefined,
): Record<string, unknown> {
  if (!select) return full;
  const out: Record<string, unknown> = {};
  if (full["@odata.type"] !== undefined) out["@odata.type"] = full["@odata.type"];
  for (const p of select) out[p] = full[p] ?? null;
  return out;
}
