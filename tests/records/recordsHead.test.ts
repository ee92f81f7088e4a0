// `keyfleet records verify --head`: the chain checked against the head the pipeline publishes outside the store
// (the stack output `recordsHead`), in both forms it is given, against a truncated tail and a rewritten chain.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealRecord } from "../../core/records/chain.js";
import type { AuditRecord, RecordDraft } from "../../core/records/model.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import type { SigningKey } from "../../core/signing/ed25519.js";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import { runCli } from "../support/cli.js";

let dir: string;
let env: NodeJS.ProcessEnv;
let key: SigningKey;
let stores = 0;

function draft(n: number): RecordDraft {
  return {
    action: "revocation",
    actor: { role: "pipeline" },
    subject: { personObjectId: `person-${n}`, methodId: `method-${n}` },
    detail: `step ${n}`,
  };
}

/** A fresh SQLite store holding `count` records signed by the trusted pipeline key; returns its records. */
async function storeWith(
  count: number,
): Promise<{ location: string; dbPath: string; records: AuditRecord[] }> {
  const dbPath = join(dir, `store-${++stores}.db`);
  const location = `sqlite:${dbPath}`;
  const log = await openRecordStore(location, { signer: key });
  const records: AuditRecord[] = [];
  for (let i = 1; i <= count; i++) records.push(await log.append(draft(i)));
  await log.close();
  return { location, dbPath, records };
}

const verify = (location: string, ...args: string[]) =>
  runCli(["records", "verify", "--store", location, ...args], { env });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keyfleet-head-"));
  key = writeNewSigningKey(join(dir, "keys", "pipeline.ed25519"));
  // No anchor file: the head given on the command line is the only outside reference.
  env = { KEYFLEET_KEY_DIR: join(dir, "keys"), KEYFLEET_RECORDS_ANCHOR: join(dir, "no-anchor.json") };
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("keyfleet records verify --head", () => {
  it("should accept the head as <seq>:<hash> and as the stack output's JSON", async () => {
    const { location, records } = await storeWith(5);
    const last = records[4]!;
    const plain = await verify(location, "--head", `${last.seq}:${last.hash}`);
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/records intact: 5 records/);
    expect(plain.stdout).toContain(`published head (--head): seq 5 ${last.hash.slice(0, 16)}`);
    // `pulumi stack output recordsHead` prints the object as indented JSON.
    const pretty = JSON.stringify({ seq: last.seq, hash: last.hash }, null, 4);
    const json = await verify(location, "--json", "--head", pretty);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      stackHead: { seq: 5, hash: last.hash },
      anchor: { seq: 5, hash: last.hash },
    });
    // The chain grew since the head was published: an earlier head still holds.
    const earlier = records[2]!;
    expect((await verify(location, "--head", `${earlier.seq}:${earlier.hash.toUpperCase()}`)).code).toBe(0);
  });

  it("should fail with exit 1 when the chain's tail was cut off", async () => {
    const { location, dbPath, records } = await storeWith(5);
    const db = new Database(dbPath);
    db.prepare("DELETE FROM records WHERE seq >= 4").run();
    db.close();
    // Without an outside reference the shortened chain is consistent: only an explicit flag passes it, and
    // the output says what was not checked.
    const blind = await verify(location);
    expect(blind.code).toBe(2);
    expect(blind.stdout).toMatch(/records NOT VERIFIED/);
    expect(blind.stderr).toMatch(/records not verified: give the published head/);
    const allowed = await verify(location, "--allow-no-anchor");
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/NOT CHECKED: the chain's end: no anchor or published head/);
    const head = `5:${records[4]!.hash}`;
    const text = await verify(location, "--head", head);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/records TAMPERED/);
    expect(text.stdout).toMatch(/truncate\s+at seq 4: the chain ends at 3 but the anchor says 5 records/);
    expect(text.stdout).toContain("the published head, --head 5");
    const json = await verify(location, "--json", "--head", head);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, findings: [{ kind: "truncate", seq: 4 }] });
  });

  it("should fail with exit 1 when the chain was rewritten consistently with a trusted key", async () => {
    const { location, dbPath, records } = await storeWith(5);
    // Someone holding the store and the key re-seals records 4 and 5 with other content: every link, hash
    // and signature checks, so only the published head shows it.
    const db = new Database(dbPath);
    let prevHash = records[2]!.hash;
    for (const seq of [4, 5]) {
      const forged = sealRecord(
        { ...draft(seq), detail: "nothing to see" },
        { seq, prevHash, at: new Date() },
        key,
      );
      db.prepare("UPDATE records SET doc = ? WHERE seq = ?").run(JSON.stringify(forged), seq);
      prevHash = forged.hash;
    }
    db.close();
    expect((await verify(location, "--allow-no-anchor")).code).toBe(0);
    const rewritten = await verify(location, "--json", "--head", `5:${records[4]!.hash}`);
    expect(rewritten.code).toBe(1);
    expect(JSON.parse(rewritten.stdout)).toMatchObject({
      ok: false,
      findings: [
        {
          kind: "rewrite",
          seq: 5,
          message: "record 5's hash differs from the anchored hash (the published head, --head 5)",
        },
      ],
    });
    // A head from before the rewrite point still matches: the check is exactly as strong as the head is new.
    expect((await verify(location, "--head", `3:${records[2]!.hash}`)).code).toBe(0);
  });

  it("should refuse a malformed head with exit 2 and say which forms it takes", async () => {
    const { location } = await storeWith(1);
    for (const bad of [
      "5",
      "x:abc",
      `-1:${"a".repeat(64)}`,
      `3:${"a".repeat(63)}`,
      '{"seq":"3","hash":1}',
      "{",
    ]) {
      const r = await verify(location, "--head", bad);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/^keyfleet: --head takes <seq>:<hash> or \{"seq":<n>,"hash":"<64 hex>"\}/);
    }
  });
});
