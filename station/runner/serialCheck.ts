// The inventory serial check: a task whose slot names inventory serials gets a key only when the key's
// serial, read from where serials really exist, is one of them. Two sources: the key's enterprise
// attestation certificate (CTAP 2.1 §7.1; the serial in the subject's X.520 serialNumber, 2.5.4.5), asked
// for as the platform (platform-managed, 2) when getInfo lists "ep"; or the label on the key, scanned or
// typed by the operator at an attended station. The serial and its source go into the result and the
// audit record. A vendor's own serial interface (e.g. a vendor CTAPHID or CCID command) is not read.
// No serial comes before the claim for free (getInfo names none; the device certificate comes only with
// makeCredential), so the station remembers a key's serial once a ceremony has read it (KeyMemory).
// @peculiar/x509's CommonJS build needs the Reflect metadata polyfill first (see virtual/attestation.ts).
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { SerialSource, Task } from "../../core/tasks/model.js";
import { type CborMap, decodeStrict } from "../cbor.js";
import { fromBase64Url } from "../webauthn/base64url.js";
import type { RegistrationOutcome } from "../webauthn/registration.js";

export interface KeySerial {
  serial: string;
  source: SerialSource;
}

/** What the station remembers about one plugged key between its ceremonies: in memory, per key handle. */
export interface KeyMemory {
  /** The key's serial, once a ceremony read it (from its attestation or its label, matching or not). */
  serial?: KeySerial;
}

const SERIAL_NUMBER_OID = "2.5.4.5";

/** The serials a task's slot takes, or undefined when its profile names none. */
export function wantedSerials(task: Task): readonly string[] | undefined {
  const s = task.profile.serials;
  return s && s.length > 0 ? s : undefined;
}

/** Serials compare without case and surrounding space: labels are typed and scanned, certificates are not. */
function same(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Whether the task's slot names this serial among the ones it takes. */
export function namesSerial(task: Task, serial: string): boolean {
  return wantedSerials(task)?.some((w) => same(w, serial)) === true;
}

/** Why the key's serial does not fit the task, in words the operator acts on; undefined when it fits. */
export function serialMismatch(task: Task, read: KeySerial): string | undefined {
  const wanted = wantedSerials(task);
  if (!wanted || wanted.some((w) => same(w, read.serial))) return undefined;
  const from = read.source === "label" ? "its label reads" : "its enterprise attestation names";
  return `this key is serial ${read.serial} (${from} it); the task for ${task.person.userPrincipalName} · ${task.slot} takes inventory serial ${wanted.join(" or ")}: use that key`;
}

/**
 * The serial in the key's enterprise attestation: only when the key said epAtt, from the leaf certificate
 * (x5c[0]) subject's serialNumber. Undefined when there is none: an ordinary batch certificate is shared by
 * many keys and names no device.
 */
export function serialFromAttestation(made: RegistrationOutcome): string | undefined {
  if (made.enterpriseAttested !== true) return undefined;
  try {
    const att = decodeStrict(fromBase64Url(made.body.publicKeyCredential.response.attestationObject));
    const stmt = att instanceof Map ? att.get("attStmt") : undefined;
    const x5c = stmt instanceof Map ? (stmt as CborMap).get("x5c") : undefined;
    const leaf = Array.isArray(x5c) ? x5c[0] : undefined;
    if (!(leaf instanceof Uint8Array)) return undefined;
    const [serial] = new x509.X509Certificate(leaf).subjectName.getField(SERIAL_NUMBER_OID);
    return serial?.trim() || undefined;
  } catch {
    return undefined;
  }
}
