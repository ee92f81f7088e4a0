// Debian's Chromium, headless, as a person's browser: a screenshot (PNG) and the rendered DOM of a local
// page, with no network, no profile left behind. Missing Chromium fails the test with the install command.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { requireTool } from "../../support/tools.js";

const run = promisify(execFile);

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--hide-scrollbars",
  "--force-device-scale-factor=1",
];

export interface Rendered {
  png: Buffer;
  dom: string;
}

export async function renderPage(
  htmlFile: string,
  size: { width: number; height: number },
): Promise<Rendered> {
  const chromium = requireTool("chromium", "apt-get install -y chromium (or bash scripts/setup.sh)");
  const profile = mkdtempSync(join(tmpdir(), "keyfleet-chromium-"));
  try {
    const url = pathToFileURL(htmlFile).href;
    const shot = join(profile, "screenshot.png");
    const common = [
      ...FLAGS,
      `--user-data-dir=${join(profile, "data")}`,
      `--window-size=${size.width},${size.height}`,
    ];
    await run(chromium, [...common, `--screenshot=${shot}`, url], { timeout: 60_000 });
    const { stdout } = await run(chromium, [...common, "--dump-dom", url], {
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { png: readFileSync(shot), dom: stdout };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
