// authenticatorReset (CTAP 2.1 §6.6): wipes every credential and the PIN. Keys accept it only within a
// few seconds of power-up and after a touch, so the caller explains the replug-and-touch window first.
import type { CallOptions } from "../ctaphid/device.js";
import { type Ctap2, Ctap2Command, encodeCommand } from "./ctap2.js";

export function encodeReset(): Uint8Array {
  return encodeCommand(Ctap2Command.RESET);
}

export async function reset(ctap: Ctap2, opts?: CallOptions): Promise<void> {
  await ctap.send(Ctap2Command.RESET, undefined, opts);
}
