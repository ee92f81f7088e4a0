// `records verify` passes only when it checked something: signers against trusted keys AND the chain's end
// against an anchor or a published head; explicit flags may allow less and the output says what was not
// checked. Anchors that exist but cannot be read or parsed are errors, never absent, never overwritten.
// `records head` prints the head a pipeline publishes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnchorError } from "../../core/records/anchor.js";
import type { RecordDraft } from "../../core/records/model.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { generateSigningKey, publicKeyPem, type SigningKey } from "../../core/signing/ed25519.js";
import { runCli } from "../support/cli.js";

let dir: string;
let stores = 0;
const pipeline = generateSigningKey();
const forger = generateSigningKey();

function draft(n: number): RecordDraft {
  return { action: "revocation", actor: { role: "pipeline" }, subject: { methodId: `method-${n}` } };
}

async function storeWith(count: number, key: SigningKey, anchorPath?: string): Promise<string> {
  const location = `sqlite:${join(dir, `store-${++stores}.db`)}`;
  const log = await openRecordStore(location, anchorPath ? { signer: key, anchorPath } : { signer: key });
  for (let i = 1; i <= count; i++) await log.append(draft(i));
  await log.close();
  return location;
}

/** An environment with an empty key folder and no anchor file: nothing to check against. */
function bareEnv(): NodeJS.ProcessEnv {
  const keys = join(dir, `keys-${++stores}`);
  mkdirSync(keys);
  return { KEYFLEET_KEY_DIR: keys, KEYFLEET_RECORDS_ANCHOR: join(dir, `none-${stores}.json`) };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keyfleet-verify-"));
  mkdirSync(join(dir, "trusted"));
  writeFileSync(join(dir, "trusted", "pipeline.pub"), publicKeyPem(pipeline.publicKey));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("keyfleet records verify, strictly", () => {
  it("should fail a chain forged whole with an unknown key when nothing trusted was given (it used to say 'intact')", async () => {
    const forged = await storeWith(4, forger);
    const env = bareEnv();
    const r = await runCli(["records", "verify", "--store", forged], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^records NOT VERIFIED: 4 records/);
    expect(r.stdout).not.toMatch(/records intact/);
    expect(r.stdout).toMatch(/NOT CHECKED: signers: not checked against trusted keys/);
    expect(r.stdout).toMatch(/NOT CHECKED: the chain's end: no anchor or published head/);
    expect(r.stderr).toMatch(/records not verified: give trusted keys .*; give the published head/);
    const json = JSON.parse(
      (await runCli(["records", "verify", "--store", forged, "--json"], { env })).stdout,
    );
    expect(json).toMatchObject({ ok: true, verified: false, signersChecked: false });
    expect(json.notChecked).toHaveLength(2);

    // Checked against the pipeline's key and the head, the forgery is a rewrite: exit 1.
    const head = (await runCli(["records", "head", "--store", forged], { env })).stdout.trim();
    const checked = await runCli(
      ["records", "verify", "--store", forged, "--trusted-keys", join(dir, "trusted"), "--head", head],
      { env },
    );
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(
      new RegExp(
        `rewrite\\s+at seq 1: chain ${forger.keyId.slice(0, 12)}: record 1 is signed by key ${forger.keyId}, which is not trusted`,
      ),
    );
  });

  it("should pass less only when asked, saying what was not checked", async () => {
    const location = await storeWith(3, pipeline);
    const env = bareEnv();
    const onlySigners = await runCli(
      ["records", "verify", "--store", location, "--trusted-keys", join(dir, "trusted")],
      { env },
    );
    expect(onlySigners.code).toBe(2);
    expect(onlySigners.stderr).not.toMatch(/give trusted keys/);
    const allowed = await runCli(
      ["records", "verify", "--store", location, "--trusted-keys", join(dir, "trusted"), "--allow-no-anchor"],
      { env },
    );
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/^records consistent \(partly checked, as allowed\): 3 records/);
    expect(allowed.stdout).toMatch(/NOT CHECKED: the chain's end/);
    const both = await runCli(
      ["records", "verify", "--store", location, "--allow-untrusted-signers", "--allow-no-anchor"],
      { env },
    );
    expect(both.code).toBe(0);
    expect(both.stdout.match(/NOT CHECKED/g)).toHaveLength(2);
    const full = await runCli(
      [
        "records",
        "verify",
        "--store",
        location,
        "--trusted-keys",
        join(dir, "trusted"),
        "--head",
        (await runCli(["records", "head", "--store", location], { env })).stdout.trim(),
      ],
      { env },
    );
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/^records intact: 3 records/);
    expect(full.stdout).not.toMatch(/NOT CHECKED/);
  });
});

describe("records anchors", () => {
  it("should refuse a malformed or unreadable anchor for reading and writing, and never overwrite it", async () => {
    const anchorPath = join(dir, "anchor-bad.json");
    const location = await storeWith(2, pipeline, anchorPath);
    const good = readFileSync(anchorPath, "utf8");
    expect(JSON.parse(good)).toMatchObject({ seq: 2 });
    const broken = '{"seq": 2, "hash": "not-a-hash"}\n';
    writeFileSync(anchorPath, broken);
    const log = await openRecordStore(location, { signer: pipeline, anchorPath });
    await expect(log.append(draft(3))).rejects.toThrow(AnchorError);
    await expect(log.append(draft(3))).rejects.toThrow(/is malformed .* not treated as absent/);
    expect(await log.head()).toMatchObject({ seq: 2 });
    await log.close();
    expect(readFileSync(anchorPath, "utf8")).toBe(broken);

    const env = { KEYFLEET_RECORDS_ANCHOR: anchorPath, KEYFLEET_KEY_DIR: join(dir, "trusted-as-dir") };
    const r = await runCli(
      ["records", "verify", "--store", location, "--trusted-keys", join(dir, "trusted")],
      {
        env,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/records anchor .* is malformed/);

    // A folder where the anchor should be: unreadable, an error (never "no anchor").
    const asDir = join(dir, "anchor-dir.json");
    mkdirSync(asDir);
    const d = await runCli(
      ["records", "verify", "--store", location, "--trusted-keys", join(dir, "trusted"), "--anchor", asDir],
      { env },
    );
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(
      /cannot read the records anchor .*anchor-dir\.json \(EISDIR\); it is not treated as absent/,
    );
    const missing = await runCli(
      [
        "records",
        "verify",
        "--store",
        location,
        "--trusted-keys",
        join(dir, "trusted"),
        "--anchor",
        join(dir, "nope.json"),
      ],
      { env },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no records anchor at .*nope\.json/);
  });
});

describe("keyfleet records head", () => {
  it("should print the head every record written so far is under, as --head takes it", async () => {
    const location = await storeWith(5, pipeline);
    const log = await openRecordStore(location, { signer: pipeline });
    const last = await log.append({ ...draft(6), detail: "a delete at the end of the run" });
    const head = (await log.head())!;
    await log.close();
    expect(head).toMatchObject({ seq: 6, chains: { [pipeline.keyId]: { seq: 6, hash: last.hash } } });
    const env = bareEnv();
    // A head over writers' chains has no short form: the text output is the JSON, on one line.
    const text = await runCli(["records", "head", "--store", location], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`${JSON.stringify(head)}\n`);
    const json = await runCli(["records", "head", "--store", location, "--json"], { env });
    expect(JSON.parse(json.stdout)).toEqual(head);
    const v = await runCli(
      [
        "records",
        "verify",
        "--store",
        location,
        "--trusted-keys",
        join(dir, "trusted"),
        "--head",
        json.stdout,
      ],
      { env },
    );
    expect(v.code).toBe(0);
  });
});
