// The pull-request comment the pipelines post (pipelines/keyfleet-ci.sh preview): `keyfleet plan --json` as
// Markdown, by person, with whose keys the merge provisions, replaces and revokes, then the tail of
// `pulumi preview`. The spec is pull-request content, so every name and reason is escaped before it
// reaches Markdown, and the comment stays under GitHub's 65,536-character limit.
//
//   tsx scripts/plan-comment.ts --plan plan.json --plan-exit 1 [--preview preview.txt] [--preview-exit 0]
//     [--stack prod] [--commit SHA] [--run URL] > comment.md
import { readFileSync, realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** The hidden first line by which a later run finds and updates its own comment. */
export function commentMarker(stack: string): string {
  return `<!-- keyfleet-plan stack=${stack.replace(/[^A-Za-z0-9._/-]/g, "_")} -->`;
}

export const COMMENT_LIMIT = 60_000;
const PREVIEW_TAIL = 20_000;
const ROWS_SHOWN = 200;

interface PlanAction {
  kind: string;
  userPrincipalName?: string;
  personId?: string;
  slot?: string;
  reason?: string;
  profile?: string;
  methodIds?: string[];
  methodId?: string;
}

interface PlanJson {
  actions: PlanAction[];
  notices?: { kind: string; userPrincipalName?: string; personId: string; message: string }[];
  summary: { counts: Record<string, number>; desiredKeys: number; revocations: number };
  blocked: boolean;
  blockedReasons: string[];
  hasWork: boolean;
}

export interface CommentInput {
  stack: string;
  /** `keyfleet plan --json` output, or undefined when the plan did not run. */
  planJson: string | undefined;
  planExit: number;
  /** `keyfleet plan`'s stderr (problems with the spec, preflight), shown when it failed. */
  planErrors?: string;
  preview?: string;
  previewExit?: number;
  commit?: string;
  runUrl?: string;
}

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "&#64;" };

/**
 * Text that came from the spec or the tenant, made inert in a Markdown table cell: no HTML, no links or
 * images or autolinks, no @-mentions, no table breaks, no terminal escapes; at most 200 characters.
 */
export function cell(text: string | undefined): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point
  return [...(text ?? "").replace(/[\u0000-\u001f\u007f-\u009f]/g, " ")]
    .slice(0, 200)
    .join("")
    .replace(/[\\`*_{}[\]|~]/g, (c) => `\\${c}`)
    .replace(/[&<>@]/g, (c) => ENTITIES[c] ?? c)
    .replace(/:\/\//g, ":&#47;&#47;");
}

/** A code block no content can close: the fence is longer than any backtick run inside. */
function fenced(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are the point
  const clean = text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
  const longest = Math.max(2, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${clean}\n${fence}`;
}

function parsePlan(text: string): PlanJson {
  const p = JSON.parse(text) as Partial<PlanJson>;
  if (!Array.isArray(p.actions) || typeof p.summary !== "object" || p.summary === null) {
    throw new Error("not the JSON `keyfleet plan --json` prints (no actions or summary)");
  }
  return p as PlanJson;
}

const SHOWN: Record<string, string> = {
  provision: "provision",
  adopt: "adopt",
  replace: "replace",
  revoke: "**revoke**",
  "revoke-retired": "revoke (retired)",
  "unmanaged-remove": "**remove unmanaged**",
  "unmanaged-report": "unmanaged (report)",
  unresolved: "unresolved",
  wait: "waiting",
};

function actionTable(actions: PlanAction[]): string[] {
  const rows = actions.filter((a) => a.kind in SHOWN);
  if (rows.length === 0) return [];
  // Revocations first: they are what a reviewer must not miss.
  const rank = (k: string) => (k.startsWith("revoke") || k === "unmanaged-remove" ? 0 : 1);
  rows.sort((a, b) => rank(a.kind) - rank(b.kind));
  const lines = ["| action | person | slot | why |", "| --- | --- | --- | --- |"];
  for (const a of rows.slice(0, ROWS_SHOWN)) {
    const why =
      a.kind === "revoke" && a.methodIds?.length ? `${a.reason} (${a.methodIds.join(", ")})` : a.reason;
    lines.push(
      `| ${SHOWN[a.kind]} | ${cell(a.userPrincipalName ?? a.personId)} | ${cell(a.slot)} | ${cell(why)} |`,
    );
  }
  if (rows.length > ROWS_SHOWN) {
    lines.push("", `… and ${rows.length - ROWS_SHOWN} more: the job log has \`keyfleet plan\` in full.`);
  }
  return lines;
}

function summaryLine(p: PlanJson): string {
  const c = p.summary.counts;
  const n = (k: string) => c[k] ?? 0;
  return [
    `**${n("provision")}** to provision`,
    `**${n("replace")}** to replace`,
    `**${p.summary.revocations}** to revoke`,
    `${n("adopt")} to adopt`,
    `${n("wait")} waiting`,
    `${n("keep")} kept`,
    `${n("unresolved")} unresolved`,
  ].join(" · ");
}

export function renderPlanComment(input: CommentInput): string {
  const out = [commentMarker(input.stack), `### Keyfleet plan for stack \`${cell(input.stack)}\``, ""];
  const ctx = [
    input.commit && `commit \`${cell(input.commit.slice(0, 12))}\``,
    input.runUrl && `[run](${encodeURI(input.runUrl)})`,
  ]
    .filter(Boolean)
    .join(" · ");
  if (ctx) out.push(ctx, "");

  let plan: PlanJson | undefined;
  // A blocked plan exits 2 and still prints its JSON: show it, blocked. Anything else with 2 is an error.
  if (input.planJson?.trim()) {
    try {
      plan = parsePlan(input.planJson);
    } catch (e) {
      if (input.planExit <= 1) out.push(`:x: the plan could not be read: ${cell((e as Error).message)}`, "");
    }
  }
  if (plan) {
    out.push(`${plan.summary.desiredKeys} desired keys: ${summaryLine(plan)}`, "");
    if (plan.blocked) {
      out.push(":no_entry: **This plan is blocked** and a merge would not apply it:");
      for (const r of plan.blockedReasons) out.push(`- ${cell(r)}`);
      out.push("");
    } else if (!plan.hasWork) {
      out.push("Nothing to do: Entra already holds what the specs ask for.", "");
    }
    out.push(...actionTable(plan.actions));
    for (const n of plan.notices ?? []) out.push(`- notice (${cell(n.kind)}): ${cell(n.message)}`);
    out.push("");
  } else {
    out.push(`:x: \`keyfleet plan\` failed (exit ${input.planExit}); nothing below is a plan.`, "");
    if (input.planErrors) out.push(fenced(input.planErrors.slice(-4_000)), "");
  }

  if (input.preview !== undefined) {
    const ok = input.previewExit === 0;
    const tail =
      input.preview.length > PREVIEW_TAIL ? `…\n${input.preview.slice(-PREVIEW_TAIL)}` : input.preview;
    out.push(
      `<details><summary>pulumi preview ${ok ? "succeeded" : `failed (exit ${input.previewExit})`}</summary>`,
      "",
      fenced(tail),
      "",
      "</details>",
    );
  }
  const text = out.join("\n");
  return text.length > COMMENT_LIMIT
    ? `${text.slice(0, COMMENT_LIMIT)}\n\n… (cut at ${COMMENT_LIMIT} characters)`
    : text;
}

function args(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1];
    if (!k?.startsWith("--") || v === undefined)
      throw new Error(`usage: plan-comment.ts --plan FILE --plan-exit N …`);
    m.set(k.slice(2), v);
  }
  return m;
}

function readIfPresent(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

// Run as a script (not imported by a test); argv[1] may be a symbolic link to this file.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const a = args(process.argv.slice(2));
  const input: CommentInput = {
    stack: a.get("stack") ?? "default",
    planJson: readIfPresent(a.get("plan")),
    planExit: Number(a.get("plan-exit") ?? "2"),
  };
  const errors = readIfPresent(a.get("plan-errors"));
  if (errors) input.planErrors = errors;
  const preview = readIfPresent(a.get("preview"));
  if (preview !== undefined) {
    input.preview = preview;
    input.previewExit = Number(a.get("preview-exit") ?? "2");
  }
  const commit = a.get("commit");
  if (commit) input.commit = commit;
  const run = a.get("run");
  if (run) input.runUrl = run;
  process.stdout.write(`${renderPlanComment(input)}\n`);
}
