// The README's hand-run loop as a test sees it: the fenced ```sh block between the `readme-loop` markers,
// and a fresh copy of the repository (what a clone holds after the set-up) to run it in.
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";

const START = "<!-- readme-loop:start -->";
const END = "<!-- readme-loop:end -->";

/** The shell block between the markers, exactly as the README shows it. */
export function readmeLoopBlock(readme: string): string {
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md has no ${START} … ${END} section`);
  const m = /```sh\n([\s\S]*?)\n```/.exec(readme.slice(from + START.length, to));
  if (!m?.[1]) throw new Error("the README's loop section holds no ```sh block");
  return `${m[1]}\n`;
}

/** Every command of a block: comments (whole-line and trailing) and blank lines dropped, `\`-continued
 * lines joined. */
export function commandsOf(block: string): string[] {
  return block
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.replace(/\s+#\s.*$/, "").trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/**
 * A copy of the repository's tracked files (its working tree versions) in `dir`, with node_modules linked
 * from the repository and the compiled dist copied, as `npm ci && npm run build` would leave a clone. dist is
 * copied, not linked: the program and its providers find the project from where dist really lives, and a
 * link would send the stack's relative paths (.keyfleet/…) back into the repository.
 */
export function copyRepository(repoRoot: string, dir: string): void {
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: repoRoot, encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    try {
      copyFileSync(join(repoRoot, f), join(dir, f));
    } catch (err) {
      // a tracked file someone deleted in the working tree: a clone would have it, the loop needs none
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
  cpSync(join(repoRoot, "dist"), join(dir, "dist"), { recursive: true });
}

/** The README itself. */
export function readReadme(repoRoot: string): string {
  return readFileSync(join(repoRoot, "README.md"), "utf8");
}
