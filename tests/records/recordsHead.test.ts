// `keyfleet records verify --head`: the chains checked against the head the pipeline publishes outside the store
// (the stack output `recordsHead`, as `records head --json` prints it, listing every chain's end), against a
// truncated tail, a rewritten chain and a dropped chain; the <seq>:<hash> form older builds published still
// checks a store's legacy chain.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealRecord } from "../../core/records/chain.js";
import type { AuditRecord, RecordDraft } from "../../core/records/model.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { generateSigningKey, publicKeyPem, type SigningKey } from "../../core/signing/ed25519.js";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import { runCli } from "../support/cli.js";

let dir: string;
let env: NodeJS.ProcessEnv;
let key: SigningKey;
const station = generateSigningKey();
let stores = 0;

function draft(n: number): RecordDraft {
  return {
    action: "revocation",
    actor: { role: "pipeline" },
    subject: { personObjectId: `person-${n}`, methodId: `method-${n}` },
    detail: `step ${n}`,
  };
}

/**
 * A fresh SQLite store holding `count` records signed by the trusted pipeline key (its chain) and one by a
 * trusted station; returns the pipeline's records and the head `records head --json` prints.
 */
async function storeWith(
  count: number,
): Promise<{ location: string; dbPath: string; records: AuditRecord[]; head: string }> {
  const dbPath = join(dir, `store-${++stores}.db`);
  const location = `sqlite:${dbPath}`;
  const log = await openRecordStore(location, { signer: key });
  const records: AuditRecord[] = [];
  for (let i = 1; i <= count; i++) records.push(await log.append(draft(i)));
  await log.close();
  const desk = await openRecordStore(location, { signer: station });
  await desk.append({ ...draft(0), actor: { role: "station", stationId: "desk-1" } });
  await desk.close();
  return { location, dbPath, records, head: await headOf(location) };
}

async function headOf(location: string): Promise<string> {
  const r = await runCli(["records", "head", "--store", location, "--json"], { env });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** A store as builds before per-writer chains wrote it: one legacy chain in the `records` table. */
function legacyStoreWith(count: number): { location: string; records: AuditRecord[] } {
  const dbPath = join(dir, `store-${++stores}.db`);
  const db = new Database(dbPath);
  db.exec(
    "CREATE TABLE records (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, action TEXT NOT NULL, doc TEXT NOT NULL)",
  );
  const records: AuditRecord[] = [];
  let prevHash = "0".repeat(64);
  for (let seq = 1; seq <= count; seq++) {
    const r = sealRecord(draft(seq), { seq, prevHash, at: new Date() }, key);
    db.prepare("INSERT INTO records VALUES (?, ?, ?, ?)").run(seq, r.at, r.action, JSON.stringify(r));
    records.push(r);
    prevHash = r.hash;
  }
  db.close();
  return { location: `sqlite:${dbPath}`, records };
}

const verify = (location: string, ...args: string[]) =>
  runCli(["records", "verify", "--store", location, ...args], { env });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keyfleet-head-"));
  key = writeNewSigningKey(join(dir, "keys", "pipeline.ed25519"));
  mkdirSync(join(dir, "keys", "stations"), { recursive: true });
  writeFileSync(join(dir, "keys", "stations", "desk-1.pub"), publicKeyPem(station.publicKey));
  // No anchor file: the head given on the command line is the only outside reference.
  env = { KEYFLEET_KEY_DIR: join(dir, "keys"), KEYFLEET_RECORDS_ANCHOR: join(dir, "no-anchor.json") };
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("keyfleet records verify --head", () => {
  it("should accept the head as `records head --json` and the stack output print it, and an earlier one", async () => {
    const { location, head } = await storeWith(5);
    const parsed = JSON.parse(head) as { seq: number; hash: string; chains: Record<string, unknown> };
    expect(parsed).toMatchObject({
      seq: 6,
      chains: { [key.keyId]: { seq: 5 }, [station.keyId]: { seq: 1 } },
    });
    const plain = await verify(location, "--head", head);
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/records intact: 6 records in 2 chains/);
    expect(plain.stdout).toContain(
      `published head (--head): seq 6 ${parsed.hash.slice(0, 16)}… over 2 chains`,
    );
    // `pulumi stack output recordsHead` prints the object as indented JSON.
    const json = await verify(location, "--json", "--head", JSON.stringify(parsed, null, 4));
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, stackHead: parsed, anchor: parsed });
    // The chains grew since the head was published: an earlier head still holds.
    const log = await openRecordStore(location, { signer: key });
    await log.append(draft(6));
    await log.close();
    expect((await verify(location, "--head", head)).code).toBe(0);
  });

  it("should still check a store's legacy chain against a <seq>:<hash> head an older build published", async () => {
    const { location, records } = legacyStoreWith(5);
    const last = records[4]!;
    const plain = await verify(location, "--head", `${last.seq}:${last.hash.toUpperCase()}`);
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/records intact: 5 records/);
    expect((await runCli(["records", "head", "--store", location], { env })).stdout).toBe(`5:${last.hash}\n`);
    // After the upgrade, new records go to the writer's own chain; the old head still checks the legacy one.
    const log = await openRecordStore(location, { signer: key });
    await log.append(draft(6));
    await log.close();
    expect((await verify(location, "--head", `${last.seq}:${last.hash}`)).code).toBe(0);
    expect((await verify(location, "--head", await headOf(location))).code).toBe(0);
    const wrong = await verify(location, "--head", `5:${records[3]!.hash}`);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/rewrite\s+at seq 5: record 5's hash differs from the anchored hash/);
  });

  it("should fail with exit 1 when a chain's tail was cut off", async () => {
    const { location, dbPath, head } = await storeWith(5);
    const db = new Database(dbPath);
    db.prepare("DELETE FROM chain_records WHERE chain = ? AND seq >= 4").run(key.keyId);
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
    const text = await verify(location, "--head", head);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/records TAMPERED/);
    expect(text.stdout).toMatch(
      new RegExp(
        `truncate\\s+at seq 4: chain ${key.keyId.slice(0, 12)}: the chain ends at 3 but the anchor says 5 records`,
      ),
    );
    expect(text.stdout).toContain("the published head, --head 6");
    const json = await verify(location, "--json", "--head", head);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      findings: [{ kind: "truncate", chain: key.keyId, seq: 4 }],
    });
  });

  it("should fail with exit 1 when a whole chain was dropped", async () => {
    const { location, dbPath, head } = await storeWith(3);
    const db = new Database(dbPath);
    db.prepare("DELETE FROM chain_records WHERE chain = ?").run(station.keyId);
    db.close();
    expect((await verify(location, "--allow-no-anchor")).code).toBe(0);
    const r = await verify(location, "--json", "--head", head);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      findings: [{ kind: "drop", chain: station.keyId }],
    });
  });

  it("should fail with exit 1 when a chain was rewritten consistently with a trusted key", async () => {
    const { location, dbPath, records, head } = await storeWith(5);
    // Someone holding the store and the key re-seals records 4 and 5 with other content: every link, hash
    // and signature checks, so only the published head shows it.
    const db = new Database(dbPath);
    let prevHash = records[2]!.hash;
    for (const seq of [4, 5]) {
      const forged = sealRecord(
        { ...draft(seq), detail: "nothing to see" },
        { chain: key.keyId, seq, prevHash, at: new Date() },
        key,
      );
      db.prepare("UPDATE chain_records SET doc = ? WHERE chain = ? AND seq = ?").run(
        JSON.stringify(forged),
        key.keyId,
        seq,
      );
      prevHash = forged.hash;
    }
    db.close();
    expect((await verify(location, "--allow-no-anchor")).code).toBe(0);
    const rewritten = await verify(location, "--json", "--head", head);
    expect(rewritten.code).toBe(1);
    expect(JSON.parse(rewritten.stdout)).toMatchObject({
      ok: false,
      findings: [
        {
          kind: "rewrite",
          chain: key.keyId,
          seq: 5,
          message: `chain ${key.keyId.slice(0, 12)}: record 5's hash differs from the anchored hash (the published head, --head 6)`,
        },
      ],
    });
  });

  it("should refuse a malformed head with exit 2 and say which forms it takes", async () => {
    const { location, head } = await storeWith(1);
    const parsed = JSON.parse(head) as { seq: number; hash: string; chains: Record<string, unknown> };
    // A chain left out of a published head, or its total lowered, no longer matches the head's digest.
    const { [station.keyId]: _dropped, ...fewer } = parsed.chains;
    for (const bad of [
      "5",
      "x:abc",
      `-1:${"a".repeat(64)}`,
      `3:${"a".repeat(63)}`,
      '{"seq":"3","hash":1}',
      "{",
      JSON.stringify({ ...parsed, chains: fewer }),
      JSON.stringify({ ...parsed, seq: 1 }),
      JSON.stringify({ ...parsed, chains: { nonsense: { seq: 1, hash: parsed.hash } } }),
    ]) {
      const r = await verify(location, "--head", bad);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/^keyfleet: --head takes <seq>:<hash> or \{"seq":<n>,"hash":"<64 hex>"\}/);
    }
  });
});
