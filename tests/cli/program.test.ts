import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

describe("keyfleet command", () => {
  it("should list every subcommand in --help", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const sub of [
      "validate",
      "plan",
      "drift",
      "station",
      "emulator",
      "virtual-key",
      "tasks",
      "records",
      "demo",
      "key",
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${sub}\\b`, "m"));
    }
    expect(r.stdout).toContain("Exit codes");
  });

  it("should exit 2 on an unknown option", async () => {
    const r = await runCli(["--no-such-flag"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option");
  });

  it("should exit 2 on an unknown subcommand", async () => {
    const r = await runCli(["frobnicate"]);
    expect(r.code).toBe(2);
  });
});
