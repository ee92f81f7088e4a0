// authenticatorCredentialManagement (CTAP 2.1 §6.8; also answered on the 2.1-PRE prototype command 0x41):
// metadata, enumeration of RPs and of an RP's credentials, deletion and user-information updates of
// discoverable credentials. Every subcommand that starts something needs a token with the cm permission.
import { type CborValue, encodeCanonical } from "../cbor.js";
import { concat } from "./authData.js";
import { sha256, type VirtualAuthenticator } from "./authenticator.js";
import { cosePublicKey } from "./credentialKeys.js";
import { credentialDescriptorId, Params } from "./params.js";
import { Permission } from "./pinUvToken.js";
import type { StoredCredential } from "./state.js";
import { fail, Status } from "./status.js";
import { checkToken, requestProtocol } from "./userVerification.js";

export const CredMgmtSubcommand = {
  GetCredsMetadata: 0x01,
  EnumerateRpsBegin: 0x02,
  EnumerateRpsGetNextRp: 0x03,
  EnumerateCredentialsBegin: 0x04,
  EnumerateCredentialsGetNextCredential: 0x05,
  DeleteCredential: 0x06,
  UpdateUserInformation: 0x07,
} as const;

const K = {
  subCommand: 0x01,
  subCommandParams: 0x02,
  pinUvAuthProtocol: 0x03,
  pinUvAuthParam: 0x04,
} as const;

export function credentialManagement(
  auth: VirtualAuthenticator,
  params: Params,
): Map<number, CborValue> | undefined {
  const sub = params.uint(K.subCommand);
  const subParamsRaw = params.optRawMap(K.subCommandParams);
  const subParams = Params.of(subParamsRaw);

  if (sub === CredMgmtSubcommand.EnumerateRpsGetNextRp) return nextRp(auth);
  if (sub === CredMgmtSubcommand.EnumerateCredentialsGetNextCredential) return nextCredential(auth);
  if (sub < CredMgmtSubcommand.GetCredsMetadata || sub > CredMgmtSubcommand.UpdateUserInformation) {
    fail(Status.InvalidSubcommand);
  }

  // The token signs subCommand ‖ subCommandParams; strict decoding guarantees re-encoding gives the
  // bytes the platform sent.
  const pinUvAuthParam = params.optBytes(K.pinUvAuthParam);
  if (pinUvAuthParam === undefined) fail(Status.PuatRequired);
  const protocol = requestProtocol(auth, params, K.pinUvAuthProtocol);
  const message = concat([
    Uint8Array.of(sub),
    subParamsRaw ? encodeCanonical(subParamsRaw) : new Uint8Array(0),
  ]);
  auth.credMgmtEnumeration = undefined;

  switch (sub) {
    case CredMgmtSubcommand.GetCredsMetadata: {
      checkToken(auth, protocol, message, pinUvAuthParam, Permission.cm, undefined);
      if (auth.token.rpId !== undefined)
        fail(Status.PinAuthInvalid, "metadata needs a token without an RP ID");
      const count = auth.discoverable().length;
      return new Map<number, CborValue>([
        [0x01, count],
        [0x02, Math.max(0, auth.maxDiscoverableCredentials - count)],
      ]);
    }
    case CredMgmtSubcommand.EnumerateRpsBegin: {
      checkToken(auth, protocol, message, pinUvAuthParam, Permission.cm, undefined);
      if (auth.token.rpId !== undefined)
        fail(Status.PinAuthInvalid, "enumeration needs a token without an RP ID");
      const rpIds = [...new Set(auth.discoverable().map((c) => c.rpId))].sort();
      if (rpIds.length === 0) fail(Status.NoCredentials);
      const [first, ...rest] = rpIds;
      auth.credMgmtEnumeration = { kind: "rps", items: rest };
      const reply = rpReply(auth, first!);
      reply.set(0x05, rpIds.length);
      return reply;
    }
    case CredMgmtSubcommand.EnumerateCredentialsBegin: {
      const rpIdHash = subParams.bytes(0x01);
      checkToken(auth, protocol, message, pinUvAuthParam, Permission.cm, undefined);
      const bound = auth.token.rpId;
      if (bound !== undefined && !equal(sha256(bound), rpIdHash))
        fail(Status.PinAuthInvalid, "token bound elsewhere");
      const creds = auth.discoverable().filter((c) => equal(sha256(c.rpId), rpIdHash));
      if (creds.length === 0) fail(Status.NoCredentials);
      const [first, ...rest] = creds;
      auth.credMgmtEnumeration = { kind: "creds", items: rest };
      const reply = credentialReply(first!);
      reply.set(0x09, creds.length);
      return reply;
    }
    case CredMgmtSubcommand.DeleteCredential: {
      const cred = findCredential(auth, subParams);
      checkToken(auth, protocol, message, pinUvAuthParam, Permission.cm, { rpId: cred.rpId, bind: false });
      auth.state = { ...auth.state, credentials: auth.state.credentials.filter((c) => c !== cred) };
      auth.persist();
      return undefined;
    }
    default: {
      const cred = findCredential(auth, subParams);
      checkToken(auth, protocol, message, pinUvAuthParam, Permission.cm, { rpId: cred.rpId, bind: false });
      const user = subParams.requiredMap(0x03);
      if (Buffer.from(user.bytes("id")).toString("base64url") !== cred.userId) {
        fail(Status.InvalidParameter, "user.id differs from the credential's");
      }
      const name = user.optText("name");
      const displayName = user.optText("displayName");
      const updated: StoredCredential = { ...cred };
      delete updated.userName;
      delete updated.userDisplayName;
      if (name !== undefined && name !== "") updated.userName = name;
      if (displayName !== undefined && displayName !== "") updated.userDisplayName = displayName;
      auth.state = {
        ...auth.state,
        credentials: auth.state.credentials.map((c) => (c === cred ? updated : c)),
      };
      auth.persist();
      return undefined;
    }
  }
}

function nextRp(auth: VirtualAuthenticator): Map<number, CborValue> {
  const e = auth.credMgmtEnumeration;
  if (e?.kind !== "rps" || e.items.length === 0)
    return fail(Status.NotAllowed, "no RP enumeration in progress");
  return rpReply(auth, e.items.shift()!);
}

function nextCredential(auth: VirtualAuthenticator): Map<number, CborValue> {
  const e = auth.credMgmtEnumeration;
  if (e?.kind !== "creds" || e.items.length === 0) {
    return fail(Status.NotAllowed, "no credential enumeration in progress");
  }
  return credentialReply(e.items.shift()!);
}

function rpReply(auth: VirtualAuthenticator, rpId: string): Map<number, CborValue> {
  const rp = new Map<string, CborValue>([["id", rpId]]);
  const name = auth.discoverable(rpId).find((c) => c.rpName !== undefined)?.rpName;
  if (name !== undefined) rp.set("name", name);
  return new Map<number, CborValue>([
    [0x03, rp],
    [0x04, sha256(rpId)],
  ]);
}

function credentialReply(c: StoredCredential): Map<number, CborValue> {
  const user = new Map<string, CborValue>([["id", new Uint8Array(Buffer.from(c.userId, "base64url"))]]);
  if (c.userName !== undefined) user.set("name", c.userName);
  if (c.userDisplayName !== undefined) user.set("displayName", c.userDisplayName);
  return new Map<number, CborValue>([
    [0x06, user],
    [
      0x07,
      new Map<string, CborValue>([
        ["id", new Uint8Array(Buffer.from(c.id, "base64url"))],
        ["type", "public-key"],
      ]),
    ],
    [0x08, cosePublicKey(c.privateKeyPkcs8)],
    [0x0a, c.credProtect],
  ]);
}

function findCredential(auth: VirtualAuthenticator, subParams: Params): StoredCredential {
  const raw = subParams.raw(0x02);
  if (raw === undefined) fail(Status.MissingParameter, "credentialId is missing");
  const id = credentialDescriptorId(raw);
  if (!id) fail(Status.InvalidParameter, "credentialId is not a public-key descriptor");
  const idText = Buffer.from(id).toString("base64url");
  return auth.discoverable().find((c) => c.id === idText) ?? fail(Status.NoCredentials);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
