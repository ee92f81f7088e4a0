// authenticatorGetInfo (CTAP 2.1 §6.4): what the virtual key says it is and can do. clientPin reports
// whether a PIN is set; forcePINChange and minPINLength reflect authenticatorConfig. A key made as CTAP 2.0
// answers with the 2.0 fields only (0x01–0x06).
import type { CborValue } from "../cbor.js";
import type { VirtualAuthenticator } from "./authenticator.js";
import { ES256 } from "./credentialKeys.js";

/** Longest credential id accepted in allow and exclude lists. */
export const MAX_CREDENTIAL_ID_LENGTH = 128;
/** Most descriptors read from one allow or exclude list. */
export const MAX_CREDENTIALS_IN_LIST = 16;

export function getInfo(auth: VirtualAuthenticator): Map<number, CborValue> {
  if (auth.ctapVersion === "2.0") return getInfo20(auth);
  const discoverable = auth.discoverable().length;
  return new Map<number, CborValue>([
    [0x01, ["FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1"]],
    [0x02, ["credProtect", "hmac-secret"]],
    [0x03, auth.aaguid],
    [
      0x04,
      new Map<string, CborValue>([
        ["rk", true],
        ["up", true],
        ["plat", false],
        ["clientPin", auth.pinIsSet],
        ["credMgmt", true],
        ["authnrCfg", true],
        ["pinUvAuthToken", true],
        ["setMinPINLength", true],
        ["makeCredUvNotRqd", false],
        ["credentialMgmtPreview", true],
        ...(auth.state.enterprise ? [["ep", auth.state.enterprise.enabled] as [string, CborValue]] : []),
      ]),
    ],
    [0x05, auth.maxMsgSize],
    [0x06, [2, 1]],
    [0x07, MAX_CREDENTIALS_IN_LIST],
    [0x08, MAX_CREDENTIAL_ID_LENGTH],
    [0x09, ["usb"]],
    [
      0x0a,
      [
        new Map<string, CborValue>([
          ["alg", ES256],
          ["type", "public-key"],
        ]),
      ],
    ],
    [0x0c, auth.state.forcePinChange],
    [0x0d, auth.state.minPinLength],
    [0x0e, auth.firmwareVersion],
    [0x14, Math.max(0, auth.maxDiscoverableCredentials - discoverable)],
  ]);
}

function getInfo20(auth: VirtualAuthenticator): Map<number, CborValue> {
  return new Map<number, CborValue>([
    [0x01, ["U2F_V2", "FIDO_2_0"]],
    [0x02, ["hmac-secret"]],
    [0x03, auth.aaguid],
    [
      0x04,
      new Map<string, CborValue>([
        ["rk", true],
        ["up", true],
        ["plat", false],
        ["clientPin", auth.pinIsSet],
      ]),
    ],
    [0x05, auth.maxMsgSize],
    [0x06, [1]],
  ]);
}
