// `npm run bench`: runs every benchmark module in bench/ (or those named on the command line) and prints
// its tables. Benchmarks measure; they never assert times.
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

for (const file of files) {
  const mod = (await import(pathToFileURL(`${dir}/${file}`).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== "function") throw new Error(`${file} exports no run()`);
  process.stdout.write(`\n## ${file.replace(/\.bench\.ts$/, "")}\n\n`);
  await mod.run();
}
