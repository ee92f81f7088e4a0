// The displayName a key's credential carries in Entra: rendered from a profile's template and kept
// within Entra's 30 characters by shortening the least useful parts first, always the same way.
import { DISPLAY_NAME_MAX } from "./schema.js";

export const DISPLAY_NAME_FIELDS = ["slot", "model", "serial", "profile", "upn"] as const;
export type DisplayNameField = (typeof DISPLAY_NAME_FIELDS)[number];
export type DisplayNameValues = Partial<Record<DisplayNameField, string>>;

const PLACEHOLDER = /\{([^{}]*)\}/g;
/** Which values give way first when the name is too long; the serial is what tells keys apart. */
const SHRINK_ORDER: readonly DisplayNameField[] = ["upn", "profile", "model", "slot", "serial"];

/** Problems with a template: unknown placeholders, or more fixed text than Entra keeps. */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? "";
    if (!(DISPLAY_NAME_FIELDS as readonly string[]).includes(name)) {
      problems.push(
        `unknown placeholder {${name}} (use ${DISPLAY_NAME_FIELDS.map((f) => `{${f}}`).join(" ")})`,
      );
    }
  }
  const fixed = collapse(template.replace(PLACEHOLDER, ""));
  if (fixed.length > DISPLAY_NAME_MAX) {
    problems.push(
      `template has ${fixed.length} characters of fixed text; Entra keeps at most ${DISPLAY_NAME_MAX}`,
    );
  }
  return problems;
}

/**
 * Renders a template with the values known; a missing value renders empty and spaces collapse.
 * Longer than 30 characters, values shrink in SHRINK_ORDER (upn first, serial last), then the
 * result is cut; the same inputs always give the same name.
 */
export function renderDisplayName(
  template: string,
  values: DisplayNameValues,
  max: number = DISPLAY_NAME_MAX,
): string {
  const v: Record<string, string> = {};
  for (const f of DISPLAY_NAME_FIELDS) v[f] = values[f] ?? "";
  const render = () => collapse(template.replace(PLACEHOLDER, (_, name: string) => v[name] ?? ""));
  let out = render();
  for (const field of SHRINK_ORDER) {
    if (out.length <= max) break;
    const current = v[field] ?? "";
    if (current === "" || !template.includes(`{${field}}`)) continue;
    v[field] = cut(current, Math.max(0, current.length - (out.length - max))).trimEnd();
    out = render();
  }
  return out.length > max ? cut(out, max).trimEnd() : out;
}

/**
 * The first `units` UTF-16 code units of `s` (the unit JavaScript and Graph both count length in), never
 * splitting a surrogate pair.
 */
function cut(s: string, units: number): string {
  const head = s.slice(0, units);
  const last = head.charCodeAt(head.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? head.slice(0, -1) : head;
}

function collapse(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
