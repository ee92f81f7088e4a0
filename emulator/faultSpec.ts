// The command line's short form of a fault rule (`keyfleet emulator --fault "…"`) and the JSON file form
// (`--faults FILE`), both turned into the FaultRule list the admin route PUT /_emulator/faults takes.
//
//   --fault "<METHOD|*> <path-glob> <429|503|drop|latency=MS> [rate] [times=N] [retryAfter=S]"
//
// The glob is matched against the whole path, version included (`/v1.0/users/...`, `/{tenant}/oauth2/v2.0/token`):
// `*` is any run of characters within one segment, `**` any run across segments. Rate is 0..1 (default 1).
import { readFileSync } from "node:fs";
import { checkFaultRules, type FaultKind, type FaultRule, FaultRuleError } from "./faults.js";

/** A path glob as the anchored, case-insensitive regular expression the fault injector tests. */
export function globToRoute(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*" && glob[i + 1] === "*") {
      out += ".*";
      i++;
    } else if (c === "*") out += "[^/]*";
    else out += c.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }
  return `^${out}$`;
}

export function parseFaultSpec(spec: string): FaultRule {
  const words = spec.trim().split(/\s+/);
  const [method, glob, kindWord, ...rest] = words;
  if (method === undefined || glob === undefined || kindWord === undefined) {
    throw new FaultRuleError(
      `fault '${spec}': expected "<METHOD|*> <path-glob> <429|503|drop|latency=MS> [rate] [times=N] [retryAfter=S]"`,
    );
  }
  if (!/^(\*|[A-Za-z]+)$/.test(method))
    throw new FaultRuleError(`fault '${spec}': '${method}' is not an HTTP method or *`);
  if (!glob.startsWith("/")) throw new FaultRuleError(`fault '${spec}': the path glob must start with /`);
  const rule: FaultRule = { kind: "503", route: globToRoute(glob) };
  if (method !== "*") rule.method = method.toUpperCase();
  const latency = /^latency=(\d+)$/.exec(kindWord);
  if (latency) {
    rule.kind = "latency";
    rule.latencyMs = Number(latency[1]);
  } else if (["429", "503", "drop"].includes(kindWord)) {
    rule.kind = kindWord as FaultKind;
  } else {
    throw new FaultRuleError(`fault '${spec}': kind must be 429, 503, drop or latency=MS, not '${kindWord}'`);
  }
  for (const word of rest) {
    const times = /^times=(\d+)$/.exec(word);
    const retry = /^retryAfter=(\d+(?:\.\d+)?)$/.exec(word);
    if (times) rule.times = Number(times[1]);
    else if (retry) rule.retryAfterSeconds = Number(retry[1]);
    else if (/^(0(\.\d+)?|1(\.0+)?)$/.test(word)) rule.rate = Number(word);
    else throw new FaultRuleError(`fault '${spec}': '${word}' is not a rate (0..1), times=N or retryAfter=S`);
  }
  return checkFaultRules([rule])[0] as FaultRule;
}

/** `--faults FILE`: the body of PUT /_emulator/faults (`{ "rules": [...], "seed": N }`) or a bare list. */
export function readFaultFile(path: string): { rules: FaultRule[]; seed?: number } {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? "not JSON";
    throw new FaultRuleError(`cannot read fault file ${path} (${why})`);
  }
  const body = Array.isArray(doc) ? { rules: doc } : (doc as { rules?: unknown; seed?: unknown } | null);
  if (body === null || typeof body !== "object")
    throw new FaultRuleError(`${path}: expected { "rules": [...] }`);
  let rules: FaultRule[];
  try {
    rules = checkFaultRules(body.rules ?? []);
  } catch (err) {
    throw new FaultRuleError(`${path}: ${(err as Error).message}`);
  }
  if (body.seed !== undefined && !Number.isInteger(body.seed))
    throw new FaultRuleError(`${path}: seed must be a whole number`);
  return { rules, ...(typeof body.seed === "number" ? { seed: body.seed } : {}) };
}
