// authenticatorCredentialManagement (CTAP 2.1 §6.8), or its prototype 0x41 on CTAP 2.1-PRE keys:
// enumerate relying parties and their discoverable credentials, and delete one. Begin/delete
// subcommands are authenticated with the token (cm permission); getNext subcommands are not.
import { type CborMap, type CborValue, encodeCanonical } from "../cbor.js";
import type { CallOptions } from "../ctaphid/device.js";
import type { PinToken } from "./clientPin.js";
import type { Ctap2 } from "./ctap2.js";
import { CtapError, CtapProtocolError, CtapStatus } from "./errors.js";
import { ReplyFields } from "./replyFields.js";

export const CredMgmtSubcommand = {
  GET_CREDS_METADATA: 0x01,
  ENUMERATE_RPS_BEGIN: 0x02,
  ENUMERATE_RPS_GET_NEXT_RP: 0x03,
  ENUMERATE_CREDENTIALS_BEGIN: 0x04,
  ENUMERATE_CREDENTIALS_GET_NEXT_CREDENTIAL: 0x05,
  DELETE_CREDENTIAL: 0x06,
  UPDATE_USER_INFORMATION: 0x07,
} as const;

type Params = Map<number, CborValue | undefined>;

/** More entries than any key holds: a larger total is a hostile or broken reply, not a reason to loop. */
const MAX_ENTRIES = 1000;

function checkTotal(total: number | undefined, what: string): number {
  if (total !== undefined && total > MAX_ENTRIES)
    throw new CtapProtocolError(`${what} total ${total} is implausible`);
  return total ?? 1;
}

/** Builds a credential management request; `token` present means the subcommand is authenticated. */
export function encodeCredMgmt(subCommand: number, subParams?: Params, token?: PinToken): Params {
  let pinUvAuthParam: Uint8Array | undefined;
  if (token) {
    const params = subParams ? encodeCanonical(subParams) : new Uint8Array(0);
    const message = new Uint8Array(1 + params.length);
    message[0] = subCommand;
    message.set(params, 1);
    pinUvAuthParam = token.authenticate(message);
  }
  return new Map<number, CborValue | undefined>([
    [0x01, subCommand],
    [0x02, subParams],
    [0x03, token?.protocol.version],
    [0x04, pinUvAuthParam],
  ]);
}

export interface CredsMetadata {
  existingResidentCredentialsCount: number;
  maxPossibleRemainingResidentCredentialsCount: number;
}

export interface RelyingPartyEntry {
  id: string;
  name?: string;
  rpIdHash: Uint8Array;
}

export interface CredentialEntry {
  credentialId: Uint8Array;
  user: { id: Uint8Array; name?: string; displayName?: string };
  publicKey: CborMap;
  credProtect?: number;
}

export function parseRp(reply: CborMap): { rp: RelyingPartyEntry; total?: number } {
  const f = new ReplyFields(reply, "credentialManagement enumerateRPs");
  const rpMap = f.map_(0x03, "rp");
  const rp: RelyingPartyEntry = { id: rpMap.text("id", "id"), rpIdHash: f.bytes(0x04, "rpIDHash") };
  const name = rpMap.text("name", "name", "optional");
  if (name !== undefined) rp.name = name;
  const total = f.uint(0x05, "totalRPs", "optional");
  return total === undefined ? { rp } : { rp, total };
}

export function parseCredential(reply: CborMap): { credential: CredentialEntry; total?: number } {
  const f = new ReplyFields(reply, "credentialManagement enumerateCredentials");
  const u = f.map_(0x06, "user");
  const credential: CredentialEntry = {
    credentialId: f.map_(0x07, "credentialID").bytes("id", "id"),
    user: { id: u.bytes("id", "id") },
    publicKey: f.map_(0x08, "publicKey").map,
  };
  const name = u.text("name", "name", "optional");
  if (name !== undefined) credential.user.name = name;
  const displayName = u.text("displayName", "displayName", "optional");
  if (displayName !== undefined) credential.user.displayName = displayName;
  const cp = f.uint(0x0a, "credProtect", "optional");
  if (cp !== undefined) credential.credProtect = cp;
  const total = f.uint(0x09, "totalCredentials", "optional");
  return total === undefined ? { credential } : { credential, total };
}

export class CredentialManagement {
  constructor(
    private readonly ctap: Ctap2,
    /** 0x0a, or 0x41 on CTAP 2.1-PRE keys (see features.credentialManagementCommand). */
    private readonly command: number,
    private readonly token: PinToken,
  ) {}

  private async call(
    sub: number,
    subParams: Params | undefined,
    authenticated: boolean,
    opts?: CallOptions,
  ): Promise<CborMap> {
    const reply = await this.ctap.send(
      this.command,
      encodeCredMgmt(sub, subParams, authenticated ? this.token : undefined),
      opts,
    );
    if (reply === undefined)
      throw new CtapProtocolError(`credentialManagement subcommand ${sub} returned no data`);
    return reply;
  }

  async metadata(opts?: CallOptions): Promise<CredsMetadata> {
    const f = new ReplyFields(
      await this.call(CredMgmtSubcommand.GET_CREDS_METADATA, undefined, true, opts),
      "getCredsMetadata",
    );
    return {
      existingResidentCredentialsCount: f.uint(0x01, "existingResidentCredentialsCount"),
      maxPossibleRemainingResidentCredentialsCount: f.uint(
        0x02,
        "maxPossibleRemainingResidentCredentialsCount",
      ),
    };
  }

  async relyingParties(opts?: CallOptions): Promise<RelyingPartyEntry[]> {
    let first: ReturnType<typeof parseRp>;
    try {
      first = parseRp(await this.call(CredMgmtSubcommand.ENUMERATE_RPS_BEGIN, undefined, true, opts));
    } catch (e) {
      if (CtapError.isInstance(e) && e.status === CtapStatus.NO_CREDENTIALS) return [];
      throw e;
    }
    const out = [first.rp];
    const total = checkTotal(first.total, "totalRPs");
    while (out.length < total) {
      out.push(
        parseRp(await this.call(CredMgmtSubcommand.ENUMERATE_RPS_GET_NEXT_RP, undefined, false, opts)).rp,
      );
    }
    return out;
  }

  async credentials(rpIdHash: Uint8Array, opts?: CallOptions): Promise<CredentialEntry[]> {
    const subParams: Params = new Map([[0x01, rpIdHash]]);
    let first: ReturnType<typeof parseCredential>;
    try {
      first = parseCredential(
        await this.call(CredMgmtSubcommand.ENUMERATE_CREDENTIALS_BEGIN, subParams, true, opts),
      );
    } catch (e) {
      if (CtapError.isInstance(e) && e.status === CtapStatus.NO_CREDENTIALS) return [];
      throw e;
    }
    const out = [first.credential];
    const total = checkTotal(first.total, "totalCredentials");
    while (out.length < total) {
      const next = await this.call(
        CredMgmtSubcommand.ENUMERATE_CREDENTIALS_GET_NEXT_CREDENTIAL,
        undefined,
        false,
        opts,
      );
      out.push(parseCredential(next).credential);
    }
    return out;
  }

  async deleteCredential(credentialId: Uint8Array, opts?: CallOptions): Promise<void> {
    const subParams: Params = new Map<number, CborValue>([[0x02, { id: credentialId, type: "public-key" }]]);
    await this.ctap.send(
      this.command,
      encodeCredMgmt(CredMgmtSubcommand.DELETE_CREDENTIAL, subParams, this.token),
      opts,
    );
  }
}
