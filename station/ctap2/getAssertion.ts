// authenticatorGetAssertion (CTAP 2.1 §6.2): pure request builder and reply parser. The station uses it
// only to self-test a credential it has just made.
import type { CborMap, CborValue } from "../cbor.js";
import type { CallOptions } from "../ctaphid/device.js";
import { type Ctap2, Ctap2Command } from "./ctap2.js";
import { CtapProtocolError } from "./errors.js";
import { type CredentialDescriptor, descriptor } from "./makeCredential.js";
import { ReplyFields } from "./replyFields.js";

export interface GetAssertionParams {
  rpId: string;
  clientDataHash: Uint8Array;
  allowList?: CredentialDescriptor[];
  options?: { up?: boolean; uv?: boolean };
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

export function encodeGetAssertion(p: GetAssertionParams): Map<number, CborValue | undefined> {
  const options = new Map<string, CborValue>();
  if (p.options?.up !== undefined) options.set("up", p.options.up);
  if (p.options?.uv !== undefined) options.set("uv", p.options.uv);
  return new Map<number, CborValue | undefined>([
    [0x01, p.rpId],
    [0x02, p.clientDataHash],
    [0x03, p.allowList?.length ? p.allowList.map(descriptor) : undefined],
    [0x05, options.size ? options : undefined],
    [0x06, p.pinUvAuthParam],
    [0x07, p.pinUvAuthProtocol],
  ]);
}

export interface GetAssertionResult {
  credentialId?: Uint8Array;
  authData: Uint8Array;
  signature: Uint8Array;
  userId?: Uint8Array;
  numberOfCredentials?: number;
}

export function parseGetAssertion(reply: CborMap): GetAssertionResult {
  const f = new ReplyFields(reply, "getAssertion");
  const out: GetAssertionResult = {
    authData: f.bytes(0x02, "authData"),
    signature: f.bytes(0x03, "signature"),
  };
  if (out.authData.length < 37) throw new CtapProtocolError("getAssertion authData is shorter than 37 bytes");
  const cred = f.map_(0x01, "credential", "optional");
  if (cred) out.credentialId = cred.bytes("id", "id");
  const user = f.map_(0x04, "user", "optional");
  if (user) out.userId = user.bytes("id", "id");
  const n = f.uint(0x05, "numberOfCredentials", "optional");
  if (n !== undefined) out.numberOfCredentials = n;
  return out;
}

export async function getAssertion(
  ctap: Ctap2,
  params: GetAssertionParams,
  opts?: CallOptions,
): Promise<GetAssertionResult> {
  return parseGetAssertion(
    await ctap.sendExpectingMap(Ctap2Command.GET_ASSERTION, encodeGetAssertion(params), opts),
  );
}
