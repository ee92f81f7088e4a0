// A deliberately small host side for the virtual key's tests: CTAPHID framing over an in-process
// connection, CBOR commands, and PIN operations built from the shared PIN protocol primitives. It records
// every KEEPALIVE so tests can see UPNEEDED. (The station's real client lives in station/ctaphid and
// station/ctap2; these tests judge the authenticator, not that client.)
import { randomBytes } from "node:crypto";
import {
  type CborDecoded,
  type CborMap,
  type CborValue,
  decodeStrict,
  encodeCanonical,
} from "../../../station/cbor.js";
import {
  decodeCoseKeyAgreement,
  padPin,
  pinHash,
  pinProtocolFor,
} from "../../../station/ctap2/pinProtocol.js";
import type { HidConnection } from "../../../station/transport/connection.js";
import { openVirtualConnection } from "../../../station/virtual/connection.js";
import { fragment } from "../../../station/virtual/ctaphidDevice.js";
import type { VirtualKey } from "../../../station/virtual/virtualKey.js";

export interface HidReply {
  cmd: number;
  payload: Uint8Array;
  keepalives: number[];
}

export class TestClient {
  cid = 0xffffffff;
  constructor(readonly conn: HidConnection) {}

  static async open(key: VirtualKey): Promise<TestClient> {
    const client = new TestClient(openVirtualConnection(key));
    const nonce = randomBytes(8);
    const reply = await client.transact(0x06, nonce);
    client.cid = Buffer.from(reply.payload.subarray(8, 12)).readUInt32BE(0);
    return client;
  }

  async writeMessage(cmd: number, payload: Uint8Array): Promise<void> {
    for (const report of fragment(this.cid, cmd, payload)) await this.conn.write(report);
  }

  /** Reads one whole reply on this channel, skipping (and recording) KEEPALIVEs. */
  async readMessage(timeoutMs = 5000): Promise<HidReply> {
    const signal = AbortSignal.timeout(timeoutMs);
    const keepalives: number[] = [];
    for (;;) {
      const r = await this.conn.read(signal);
      const cid = Buffer.from(r.subarray(0, 4)).readUInt32BE(0);
      if (cid !== this.cid)
        throw new Error(`reply on channel ${cid.toString(16)}, expected ${this.cid.toString(16)}`);
      const cmd = r[4]! & 0x7f;
      if (cmd === 0x3b) {
        keepalives.push(r[7]!);
        continue;
      }
      const length = (r[5]! << 8) | r[6]!;
      const payload = new Uint8Array(length);
      payload.set(r.subarray(7, 7 + Math.min(length, 57)));
      let at = Math.min(length, 57);
      for (let seq = 0; at < length; seq++) {
        const c = await this.conn.read(signal);
        if (c[4] !== seq) throw new Error("bad sequence in reply");
        payload.set(c.subarray(5, 5 + Math.min(length - at, 59)), at);
        at += 59;
      }
      return { cmd, payload, keepalives };
    }
  }

  async transact(cmd: number, payload: Uint8Array = new Uint8Array(0)): Promise<HidReply> {
    await this.writeMessage(cmd, payload);
    return this.readMessage();
  }

  /** Sends a CTAP2 command; returns the status and the decoded reply map (if any). */
  async cbor(
    command: number,
    params?: CborValue,
  ): Promise<{ status: number; body?: CborMap; keepalives: number[] }> {
    const body = params === undefined ? new Uint8Array(0) : encodeCanonical(params);
    const message = new Uint8Array(1 + body.length);
    message[0] = command;
    message.set(body, 1);
    const reply = await this.transact(0x10, message);
    if (reply.cmd !== 0x10) throw new Error(`CTAPHID error 0x${reply.payload[0]?.toString(16)}`);
    const status = reply.payload[0]!;
    if (reply.payload.length === 1) return { status, keepalives: reply.keepalives };
    return { status, body: decodeStrict(reply.payload.subarray(1)) as CborMap, keepalives: reply.keepalives };
  }

  async getInfo(): Promise<CborMap> {
    const r = await this.cbor(0x04);
    if (r.status !== 0 || !r.body) throw new Error(`getInfo failed: ${r.status}`);
    return r.body;
  }

  private async sharedSecret(version: 1 | 2) {
    const protocol = pinProtocolFor(version);
    const r = await this.cbor(
      0x06,
      new Map<number, CborValue>([
        [1, version],
        [2, 2],
      ]),
    );
    if (r.status !== 0) throw new Error(`getKeyAgreement failed: ${r.status}`);
    const { keyAgreement, sharedSecret } = protocol.encapsulate(decodeCoseKeyAgreement(r.body!.get(1)));
    return { protocol, keyAgreement, sharedSecret };
  }

  /** setPIN; `pin` may be raw padded bytes, to send what a careless platform would. */
  async setPin(pin: string | Uint8Array, version: 1 | 2 = 2): Promise<number> {
    const { protocol, keyAgreement, sharedSecret } = await this.sharedSecret(version);
    const newPinEnc = protocol.encrypt(
      sharedSecret,
      typeof pin === "string" ? padPin(Buffer.from(pin)) : pin,
    );
    const r = await this.cbor(
      0x06,
      new Map<number, CborValue>([
        [1, version],
        [2, 3],
        [3, keyAgreement],
        [4, protocol.authenticate(sharedSecret, newPinEnc)],
        [5, newPinEnc],
      ]),
    );
    return r.status;
  }

  async changePin(oldPin: string, newPin: string, version: 1 | 2 = 2): Promise<number> {
    const { protocol, keyAgreement, sharedSecret } = await this.sharedSecret(version);
    const newPinEnc = protocol.encrypt(sharedSecret, padPin(Buffer.from(newPin)));
    const pinHashEnc = protocol.encrypt(sharedSecret, pinHash(Buffer.from(oldPin)));
    const message = new Uint8Array([...newPinEnc, ...pinHashEnc]);
    const r = await this.cbor(
      0x06,
      new Map<number, CborValue>([
        [1, version],
        [2, 4],
        [3, keyAgreement],
        [4, protocol.authenticate(sharedSecret, message)],
        [5, newPinEnc],
        [6, pinHashEnc],
      ]),
    );
    return r.status;
  }

  /** getPinUvAuthTokenUsingPinWithPermissions (or getPinToken when permissions is undefined). */
  async pinToken(
    pin: string,
    permissions: number | undefined,
    rpId?: string,
    version: 1 | 2 = 2,
  ): Promise<{ status: number; token?: Uint8Array }> {
    const { protocol, keyAgreement, sharedSecret } = await this.sharedSecret(version);
    const params = new Map<number, CborValue | undefined>([
      [1, version],
      [2, permissions === undefined ? 5 : 9],
      [3, keyAgreement],
      [6, protocol.encrypt(sharedSecret, pinHash(Buffer.from(pin)))],
      [9, permissions],
      [10, rpId],
    ]);
    const r = await this.cbor(0x06, params);
    if (r.status !== 0) return { status: r.status };
    return { status: 0, token: protocol.decrypt(sharedSecret, r.body!.get(2) as Uint8Array) };
  }

  async retries(): Promise<{ retries: number; powerCycle: boolean }> {
    const r = await this.cbor(
      0x06,
      new Map<number, CborValue>([
        [1, 2],
        [2, 1],
      ]),
    );
    return { retries: r.body!.get(3) as number, powerCycle: r.body!.get(4) as boolean };
  }

  authenticate(token: Uint8Array, message: Uint8Array, version: 1 | 2 = 2): Uint8Array {
    return pinProtocolFor(version).authenticate(token, message);
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}

export function get<T extends CborDecoded>(m: CborMap | undefined, key: number | string): T {
  const v = m?.get(key);
  if (v === undefined) throw new Error(`reply has no key ${key}`);
  return v as T;
}

export const RP_ID = "keyfleet.test";

export function makeCredentialParams(opts: {
  clientDataHash: Uint8Array;
  userId?: Uint8Array;
  rk?: boolean;
  token?: Uint8Array;
  version?: 1 | 2;
  extensions?: Map<string, CborValue>;
  excludeIds?: Uint8Array[];
  rpId?: string;
}): Map<number, CborValue | undefined> {
  const version = opts.version ?? 2;
  return new Map<number, CborValue | undefined>([
    [1, opts.clientDataHash],
    [2, { id: opts.rpId ?? RP_ID, name: "Keyfleet test" }],
    [3, { id: opts.userId ?? Uint8Array.of(1, 2, 3), name: "ada@keyfleet.test", displayName: "Ada" }],
    [4, [{ alg: -7, type: "public-key" }]],
    [5, opts.excludeIds?.map((id) => ({ id, type: "public-key" }))],
    [6, opts.extensions],
    [7, opts.rk === undefined ? undefined : { rk: opts.rk }],
    [8, opts.token ? pinProtocolFor(version).authenticate(opts.token, opts.clientDataHash) : undefined],
    [9, opts.token ? version : undefined],
  ]);
}
