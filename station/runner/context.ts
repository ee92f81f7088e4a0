// What every ceremony of one station shares: who the station is, its stores, Entra, the operator, the
// PIN generator and delivery, and its limits. Built once by the station (or a test) and passed down.
import type { KeyObject } from "node:crypto";
import type { EntraClient } from "../../core/entra/client.js";
import type { RecordActor } from "../../core/records/model.js";
import type { RecordStore } from "../../core/records/recordStore.js";
import type { SigningKey } from "../../core/signing/ed25519.js";
import type { TaskStore } from "../../core/tasks/store.js";
import type { PinDelivery } from "../pin/handover.js";
import type { StationOperator } from "./operator.js";
import type { CeremonyStep } from "./steps.js";
import type { KeyTrustOptions } from "./trust.js";

export interface RunnerContext {
  stationId: string;
  /** The signed-in operator (delegated sign-in), recorded with every claim. */
  operatorName?: string;
  /** The audited task store: every change it makes is a signed record. */
  store: TaskStore;
  /**
   * The station's own records and actor, for what the task store does not record: a registration the
   * station itself takes back (its PIN never reached the owner) is a revocation with its own record.
   */
  audit?: { records: RecordStore; actor: RecordActor };
  /** The station's own key: signs the results it reports. */
  stationKey?: SigningKey;
  pipelineKeys: readonly KeyObject[];
  entra: EntraClient;
  operator: StationOperator;
  /** A fresh random PIN of `length` digits in a Buffer the ceremony zeroes. */
  generatePin: (length: number) => Buffer;
  delivery: PinDelivery;
  trust: KeyTrustOptions;
  attended: boolean;
  leaseMs: number;
  /** Budget of one CTAP call, touch included. */
  callTimeoutMs: number;
  /** Test fault injection: SIGKILL this process right after this step (see steps.ts). */
  crashAfter?: CeremonyStep;
}
