// PIN handover: sealed to an age recipient and opened by Debian's own `age` tool; the printable envelope
// written only into the configured folder, 0600; the screen through the runner's interface.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPinDelivery, type PinHandover } from "../../station/pin/deliverPin.js";
import { generatePin } from "../../station/pin/generatePin.js";
import { requireTool } from "../support/tools.js";

const temp = mkdtempSync(join(tmpdir(), "keyfleet-pin-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const folder = (name: string): string => {
  const dir = join(temp, name);
  execFileSync("mkdir", ["-p", dir]);
  return dir;
};

const handover = (pin: Buffer): PinHandover => ({
  person: { displayName: "Ada <Lovelace> & Co", userPrincipalName: "ada@contoso.example" },
  keyLabel: "primary",
  model: "YubiKey 5 NFC",
  pin,
  pinChangeRequired: true,
});

describe("sealed PIN delivery (age)", () => {
  it("should write a file that Debian's age decrypts to the person, the key and the PIN", async () => {
    const age = requireTool("age", "run 'apt-get install -y age' (or bash scripts/setup.sh)");
    const keygen = requireTool("age-keygen", "run 'apt-get install -y age' (or bash scripts/setup.sh)");
    const identity = join(temp, "operator.key");
    execFileSync(keygen, ["-o", identity], { stdio: "ignore" });
    const recipient = execFileSync(keygen, ["-y", identity], { encoding: "utf8" }).trim();
    const out = folder("sealed");
    const delivery = await createPinDelivery({ method: "sealed", recipients: [recipient], folder: out });
    const pin = generatePin(12);
    const digits = pin.toString("ascii");
    const receipt = await delivery.deliver(handover(pin));
    expect(receipt.kind).toBe("sealed");
    expect(receipt.location).toBe(join(out, "ada_contoso.example--primary.age"));
    expect(JSON.stringify(receipt)).not.toContain(digits);
    expect(pin.toString("ascii")).toBe(digits); // the caller's buffer is the caller's to zero
    expect(statSync(receipt.location!).mode & 0o777).toBe(0o600);
    const sealed = readFileSync(receipt.location!);
    expect(sealed.subarray(0, 21).toString()).toBe("age-encryption.org/v1");
    expect(sealed.includes(Buffer.from(digits))).toBe(false);
    const opened = execFileSync(age, ["-d", "-i", identity, receipt.location!], { encoding: "utf8" });
    expect(opened).toContain(`PIN: ${digits}\n`);
    expect(opened).toContain("Person: Ada <Lovelace> & Co <ada@contoso.example>");
    expect(opened).toContain("Key: primary (YubiKey 5 NFC)");
    expect(readdirSync(out)).toEqual(["ada_contoso.example--primary.age"]);
  });

  it("should refuse a station set-up without recipients or with a bad one, before any key", async () => {
    const out = folder("sealed-bad");
    await expect(createPinDelivery({ method: "sealed", recipients: [], folder: out })).rejects.toThrow(
      /no age recipient/,
    );
    await expect(
      createPinDelivery({ method: "sealed", recipients: ["age1notarecipient"], folder: out }),
    ).rejects.toThrow(/is not an age recipient/);
  });
});

describe("printable envelope delivery", () => {
  it("should write one self-contained HTML page per key, 0600, escaping the names", async () => {
    const out = folder("envelopes");
    const delivery = await createPinDelivery({ method: "envelope", folder: out });
    const pin = generatePin(8);
    const digits = pin.toString("ascii");
    const receipt = await delivery.deliver(handover(pin));
    expect(receipt).toEqual({ kind: "envelope", location: join(out, "ada_contoso.example--primary.html") });
    expect(statSync(receipt.location!).mode & 0o777).toBe(0o600);
    const html = readFileSync(receipt.location!, "utf8");
    expect(html).toContain(`<p class="pin">${digits}</p>`);
    expect(html).toContain("Ada &lt;Lovelace&gt; &amp; Co");
    expect(html).toContain("<dt>Key label</dt><dd>primary</dd>");
    expect(html).toContain("YubiKey 5 NFC");
    expect(html).toContain("asks you to choose a new PIN");
    expect(html).not.toMatch(/<script|src=|href=|@import|url\(/i);
    // A second key for the same person gets its own page; a re-run of the same key replaces its page.
    await delivery.deliver({ ...handover(generatePin(8)), keyLabel: "backup" });
    await delivery.deliver(handover(generatePin(8)));
    expect(readdirSync(out).sort()).toEqual([
      "ada_contoso.example--backup.html",
      "ada_contoso.example--primary.html",
    ]);
  });

  it("should refuse an unset folder, a missing one and a file, writing nothing", async () => {
    await expect(createPinDelivery({ method: "envelope", folder: "" })).rejects.toThrow(
      /no PIN output folder is configured/,
    );
    await expect(createPinDelivery({ method: "envelope", folder: join(temp, "nope") })).rejects.toThrow(
      /does not exist/,
    );
    const file = join(temp, "a-file");
    writeFileSync(file, "x");
    await expect(createPinDelivery({ method: "envelope", folder: file })).rejects.toThrow(
      /is not a directory/,
    );
    expect(readFileSync(file, "utf8")).toBe("x");
  });

  it("should refuse a PIN that is not digits without echoing it", async () => {
    const delivery = await createPinDelivery({ method: "envelope", folder: folder("envelopes-bad") });
    const err = await delivery.deliver(handover(Buffer.from("<b>secret-9137</b>"))).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/decimal digits/);
    expect(err?.message).not.toContain("9137");
    expect(readdirSync(join(temp, "envelopes-bad"))).toEqual([]);
  });
});

describe("screen delivery", () => {
  it("should hand the PIN to the runner's screen once and record no location", async () => {
    const shown: string[] = [];
    const delivery = await createPinDelivery({
      method: "screen",
      screen: {
        async showPinOnce(h) {
          shown.push(`${h.person.userPrincipalName} ${h.keyLabel} ${h.pin.toString("ascii")}`);
        },
      },
    });
    const pin = generatePin(6);
    expect(await delivery.deliver(handover(pin))).toEqual({ kind: "screen" });
    expect(shown).toEqual([`ada@contoso.example primary ${pin.toString("ascii")}`]);
  });
});
