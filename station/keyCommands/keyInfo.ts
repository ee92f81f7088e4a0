// `keyfleet key info`: getInfo in plain words, plus the PIN retry counter when a PIN is set.
import { ClientPin } from "../ctap2/clientPin.js";
import { type AuthenticatorInfo, features } from "../ctap2/getInfo.js";
import type { KeySession } from "./session.js";

export interface KeyInfoReport {
  aaguid: string;
  versions: string[];
  ctap21: boolean;
  pinSet: boolean;
  pinRetries?: number;
  pinProtocols: number[];
  minPINLength: number;
  forcePINChange: boolean;
  discoverableCredentials: boolean;
  credentialManagement: "ctap2.1" | "prototype" | "none";
  setMinPINLength: boolean;
  alwaysUv?: boolean;
  extensions: string[];
  algorithms: number[];
  firmwareVersion?: number;
  remainingDiscoverableCredentials?: number;
  maxMsgSize?: number;
  info: AuthenticatorInfo;
}

export async function describeKey(session: KeySession): Promise<KeyInfoReport> {
  const { info } = session;
  const cm = features.credentialManagementCommand(info);
  const report: KeyInfoReport = {
    aaguid: info.aaguid,
    versions: info.versions,
    ctap21: features.isCtap21(info),
    pinSet: info.options.clientPin === true,
    pinProtocols: info.pinUvAuthProtocols,
    minPINLength: info.minPINLength,
    forcePINChange: info.forcePINChange,
    discoverableCredentials: info.options.rk === true,
    credentialManagement: cm === 0x0a ? "ctap2.1" : cm === 0x41 ? "prototype" : "none",
    setMinPINLength: info.options.setMinPINLength === true,
    extensions: info.extensions,
    algorithms: (info.algorithms ?? []).map((a) => a.alg),
    info,
  };
  if (info.options.alwaysUv !== undefined) report.alwaysUv = info.options.alwaysUv;
  if (info.firmwareVersion !== undefined) report.firmwareVersion = info.firmwareVersion;
  if (info.remainingDiscoverableCredentials !== undefined)
    report.remainingDiscoverableCredentials = info.remainingDiscoverableCredentials;
  if (info.maxMsgSize !== undefined) report.maxMsgSize = info.maxMsgSize;
  if (report.pinSet)
    report.pinRetries = (await new ClientPin(session.ctap, info).getRetries({ timeoutMs: 5000 })).retries;
  return report;
}

const yesNo = (b: boolean | undefined): string => (b ? "yes" : "no");

export function formatKeyInfo(r: KeyInfoReport): string[] {
  return [
    `AAGUID:                 ${r.aaguid}`,
    `Versions:               ${r.versions.join(", ")}${r.ctap21 ? "" : " (CTAP 2.0 key: PIN protocol 1, legacy PIN token)"}`,
    `PIN set:                ${yesNo(r.pinSet)}${r.pinRetries !== undefined ? ` (${r.pinRetries} attempts left)` : ""}`,
    `PIN protocols:          ${r.pinProtocols.join(", ") || "none listed (protocol 1 assumed)"}`,
    `Minimum PIN length:     ${r.minPINLength}${r.forcePINChange ? " (PIN change forced)" : ""}`,
    `Discoverable creds:     ${yesNo(r.discoverableCredentials)}${r.remainingDiscoverableCredentials !== undefined ? ` (${r.remainingDiscoverableCredentials} slots left)` : ""}`,
    `Credential management:  ${r.credentialManagement}`,
    `Set minimum PIN length: ${yesNo(r.setMinPINLength)}`,
    `Extensions:             ${r.extensions.join(", ") || "none"}`,
    `Algorithms:             ${r.algorithms.join(", ") || "not listed"}`,
    ...(r.firmwareVersion !== undefined ? [`Firmware:               ${r.firmwareVersion}`] : []),
  ];
}
