// The HTML drift report as a person sees it: rendered by Debian's headless Chromium, the screenshot shows
// the coverage chart's bars (green for keys held over a grey track, in proportion), and the page's text
// shows the coverage figures and the findings. Also: self-contained (no external reference, no script).
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART_COLOURS, computeDrift, type DriftReport, renderDriftHtml } from "../../core/drift/index.js";
import { ADA, BOB, done, FT, GROUP, method, person, specOf, state, TODAY, YK } from "../plan/build.js";
import { renderPage } from "./support/chromium.js";
import { hexColour, type Image, readPng } from "./support/png.js";

const spec = `${person("ada@corp.example", "  primary: { profile: yk }\n")}---
apiVersion: keyfleet.dev/v1
kind: GroupAssignment
name: staff
group: { objectId: ${GROUP} }
profile: ft
keys: 1
`;

let dir: string;
let report: DriftReport;
let html: string;
let shot: Image;
let dom: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keyfleet-drift-html-"));
  // ada holds both her keys; bob holds nothing but a self-registered key whose model is markup.
  report = computeDrift(
    specOf(spec),
    state({
      ada: [method("m1", YK), method("m2", FT)],
      bob: [method("x1", YK, undefined, "<img src=x onerror=alert(1)>")],
      tasks: [done(ADA, "primary", 1, "m1"), done(ADA, "group-staff-1", 1, "m2")],
      group: [ADA, BOB],
    }),
    { today: TODAY, now: new Date(`${TODAY}T09:00:00Z`) },
  );
  html = renderDriftHtml(report);
  const file = join(dir, "drift.html");
  writeFileSync(file, html);
  const page = await renderPage(file, { width: 1000, height: 900 });
  if (process.env.KEYFLEET_KEEP_SCREENSHOT)
    copyFileSync(join(dir, "drift.html"), process.env.KEYFLEET_KEEP_SCREENSHOT.replace(/\.png$/, ".html"));
  if (process.env.KEYFLEET_KEEP_SCREENSHOT) writeFileSync(process.env.KEYFLEET_KEEP_SCREENSHOT, page.png);
  shot = readPng(page.png);
  dom = page.dom;
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Horizontal runs of one colour on a pixel row, as [start, length]. */
function runs(img: Image, y: number, colour: [number, number, number]): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let x = 0; x <= img.width; x++) {
    const [r, g, b] = x < img.width ? img.rgb(x, y) : [-99, -99, -99];
    const hit = Math.abs(r - colour[0]) + Math.abs(g - colour[1]) + Math.abs(b - colour[2]) <= 12;
    if (hit && start < 0) start = x;
    if (!hit && start >= 0) {
      out.push([start, x - start]);
      start = -1;
    }
  }
  return out;
}

/** One entry per bar drawn (at least 10 pixel rows tall): its green length and the grey track after it. */
function bars(img: Image): { green: number; grey: number }[] {
  const held = hexColour(CHART_COLOURS.held);
  const track = hexColour(CHART_COLOURS.track);
  const found: { y: number; rows: number; green: number; grey: number }[] = [];
  for (let y = 0; y < img.height; y++) {
    const g = runs(img, y, held).filter(([, n]) => n >= 4);
    const t = runs(img, y, track).filter(([, n]) => n >= 4);
    if (g.length === 0 && t.length === 0) continue;
    const row = {
      y,
      rows: 1,
      green: g.reduce((n, [, l]) => n + l, 0),
      grey: t.reduce((n, [, l]) => n + l, 0),
    };
    const last = found.at(-1);
    // Consecutive rows of one bar count once.
    if (
      last &&
      y - last.y <= 1 &&
      Math.abs(last.green - row.green) <= 2 &&
      Math.abs(last.grey - row.grey) <= 2
    ) {
      last.y = y;
      last.rows++;
    } else found.push(row);
  }
  return found.filter((b) => b.rows >= 10).map(({ green, grey }) => ({ green, grey }));
}

describe("HTML drift report in headless Chromium", () => {
  it("should draw one bar per group and per profile, green in proportion to the keys held", () => {
    // (individual) 1/1, staff 1/2; profiles ft 1/2, yk 1/1: full, half, half, full.
    expect(report.coverage.byGroup.map((r) => `${r.name} ${r.held}/${r.desired}`)).toEqual([
      "(individual) 1/1",
      "staff 1/2",
    ]);
    const drawn = bars(shot);
    expect(drawn).toHaveLength(4);
    const share = drawn.map((b) => Math.round((100 * b.green) / (b.green + b.grey)));
    expect(share).toEqual([100, 50, 50, 100]);
    for (const b of drawn) expect(b.green + b.grey).toBeGreaterThan(400);
  });

  it("should show the coverage figures and the ranked findings as text on the page", () => {
    const text = dom.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
    expect(text).toContain("2/3 keys held (66.6%)");
    expect(text).toContain("staff 1/2 (50%)");
    expect(text).toContain("(individual) 1/1 (100%)");
    expect(text).toMatch(/high missing bob@corp\.example group-staff-1/);
    expect(text).toMatch(/medium unmanaged bob@corp\.example/);
    expect(text).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(dom).not.toContain("<img");
  });

  it("should be self-contained: no script, no external reference", () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|<[^>]*\s(src|href)=/i);
    // The one URL is the SVG namespace, which names and fetches nothing.
    expect(html.match(/https?:\/\/[^"\s]+/g)).toEqual(["http://www.w3.org/2000/svg"]);
  });

  it("should fail naming the install command when Chromium is missing", async () => {
    const path = process.env.PATH;
    process.env.PATH = join(dir, "no-such-bin");
    try {
      await expect(renderPage(join(dir, "drift.html"), { width: 100, height: 100 })).rejects.toThrow(
        /'chromium' is not installed: apt-get install -y chromium/,
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
