// No PIN anywhere it should not be: a long generated PIN is set and used through `keyfleet key test`
// (on standard input, text and --json), mistyped once, used again in an in-process
// registration over UDP, and sealed for hand-over; then every byte the commands printed and every file
// written (the virtual key's state, the sealed file) is scanned for it: plain, hex, base64, base64url,
// UTF-16LE and UTF-16BE, whole and in part.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Ctap2 } from "../../station/ctap2/ctap2.js";
import { getInfo } from "../../station/ctap2/getInfo.js";
import { createPinDelivery } from "../../station/pin/deliverPin.js";
import { generatePin } from "../../station/pin/generatePin.js";
import { openDevice } from "../../station/transport/openDevice.js";
import { startVirtualKeyUdp } from "../../station/virtual/udpServer.js";
import { registerCredential } from "../../station/webauthn/registration.js";
import { runCli } from "../support/cli.js";
import { requireTool } from "../support/tools.js";
import { entraCreationOptions } from "./entraFixture.js";

const temp = mkdtempSync(join(tmpdir(), "keyfleet-leak-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Every form the secret (or a 12-byte piece of it) could take in text or bytes. */
function leakForms(secret: Buffer): { name: string; bytes: Buffer }[] {
  const forms: { name: string; bytes: Buffer }[] = [];
  const pieces = [secret, secret.subarray(0, 12), secret.subarray(secret.length - 12)];
  for (const p of pieces) {
    const tag = p === secret ? "whole" : "part";
    forms.push({ name: `${tag} plain`, bytes: Buffer.from(p) });
    forms.push({ name: `${tag} hex`, bytes: Buffer.from(p.toString("hex")) });
    forms.push({ name: `${tag} HEX`, bytes: Buffer.from(p.toString("hex").toUpperCase()) });
    forms.push({ name: `${tag} utf16le`, bytes: Buffer.from(p.toString("latin1"), "utf16le") });
    const be = Buffer.from(p.toString("latin1"), "utf16le").swap16();
    forms.push({ name: `${tag} utf16be`, bytes: be });
    // base64 of a piece depends on where it sits in the encoded run: try the three alignments, and keep
    // only the characters that do not depend on what surrounds the piece.
    for (let k = 0; k < 3; k++) {
      const aligned = p.subarray(k);
      const whole = aligned.subarray(0, aligned.length - (aligned.length % 3));
      if (whole.length < 6) continue;
      forms.push({ name: `${tag} base64@${k}`, bytes: Buffer.from(whole.toString("base64")) });
      forms.push({ name: `${tag} base64url@${k}`, bytes: Buffer.from(whole.toString("base64url")) });
    }
  }
  return forms;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

describe("a long generated PIN", () => {
  it("should appear in no output, no error, no JSON and no file, in any encoding", async () => {
    const age = requireTool("age-keygen", "run 'apt-get install -y age' (or bash scripts/setup.sh)");
    const pin = generatePin(63);
    const wrong = generatePin(63);
    const keyState = join(temp, "key-state.json");
    const server = await startVirtualKeyUdp({ port: 0, statePath: keyState, resetWindowMs: 60_000 });
    const outputs: { what: string; text: string }[] = [];
    try {
      const dev = ["--device", `udp:127.0.0.1:${server.address.port}`, "--local-port", "0"];
      const runs: [string, string[], string | undefined, number][] = [
        [
          "key test --json (sets the PIN)",
          ["key", "test", ...dev, "--pin-stdin", "--json"],
          pin.toString(),
          0,
        ],
        ["key test", ["key", "test", ...dev, "--pin-stdin"], pin.toString(), 0],
        ["key test, wrong PIN", ["key", "test", ...dev, "--pin-stdin", "--json"], wrong.toString(), 2],
        ["key info --json", ["key", "info", ...dev, "--json"], undefined, 0],
      ];
      for (const [what, args, input, code] of runs) {
        const r = await runCli(args, input === undefined ? {} : { input: `${input}\n` });
        expect(r.code, `${what}: ${r.stderr}`).toBe(code);
        outputs.push({ what: `${what} stdout`, text: r.stdout }, { what: `${what} stderr`, text: r.stderr });
      }

      // The same PIN in a registration in this process, and sealed for hand-over.
      const device = await openDevice(`udp:127.0.0.1:${server.address.port}`, { udpLocalPort: 0 });
      try {
        const ctap = new Ctap2(device);
        const info = await getInfo(ctap);
        const outcome = await registerCredential({
          ctap,
          info,
          creationOptions: entraCreationOptions(),
          pin,
          displayName: "leak check",
        });
        outputs.push({ what: "registration body", text: JSON.stringify(outcome.body) });
      } finally {
        await device.close();
      }
      const identity = join(temp, "operator.key");
      execFileSync(age, ["-o", identity], { stdio: "ignore" });
      const recipient = execFileSync(age, ["-y", identity], { encoding: "utf8" }).trim();
      const sealedDir = join(temp, "sealed");
      execFileSync("mkdir", ["-p", sealedDir]);
      const delivery = await createPinDelivery({
        method: "sealed",
        recipients: [recipient],
        folder: sealedDir,
      });
      const receipt = await delivery.deliver({
        person: { userPrincipalName: "kim.user@contoso.example" },
        keyLabel: "primary",
        model: "Keyfleet Virtual Key",
        pin,
      });
      outputs.push({ what: "delivery receipt", text: JSON.stringify(receipt) });
    } finally {
      await server.close();
    }

    const files = filesUnder(temp).filter((f) => !f.endsWith("operator.key"));
    expect(files).toContain(keyState);
    expect(files.some((f) => f.endsWith(".age"))).toBe(true);
    const haystacks = [
      ...outputs.map((o) => ({ what: o.what, bytes: Buffer.from(o.text) })),
      ...files.map((f) => ({ what: f, bytes: readFileSync(f) })),
    ];
    // The scan itself works: a haystack holding the PIN is caught.
    expect(leakForms(pin).some((f) => Buffer.from(`x${pin.toString("hex")}y`).includes(f.bytes))).toBe(true);
    for (const secret of [pin, wrong]) {
      for (const form of leakForms(secret)) {
        for (const h of haystacks)
          expect(h.bytes.includes(form.bytes), `${form.name} in ${h.what}`).toBe(false);
      }
    }
    expect(outputs.find((o) => o.what === "key test, wrong PIN stderr")?.text).toContain("wrong PIN");
    pin.fill(0);
    wrong.fill(0);
  });
});
