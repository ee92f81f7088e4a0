// What the station tells the world while it works: one event type per thing that happens, the same
// objects for the terminal's live lines, the `--json` stream and the tests. No event carries a PIN,
// a PIN token or an access token: they are built from identifiers and plain-word reasons only.
import type { CeremonyStep } from "./steps.js";

export interface KeyView {
  /** The station's name for the plugged key (HID path, udp:host:port, or a virtual key's name). */
  keyId: string;
  transport: "hid" | "udp" | "virtual";
  model?: string;
  aaguid?: string;
}

export interface TaskView {
  taskId: string;
  userPrincipalName: string;
  personObjectId: string;
  slot: string;
}

export type StationEvent =
  | {
      type: "station";
      stationId: string;
      operator?: string;
      mode: "attended" | "unattended";
      dryRun: boolean;
    }
  | { type: "key-attached"; key: KeyView }
  | { type: "key-detached"; keyId: string }
  | { type: "step"; keyId: string; step: CeremonyStep; task?: TaskView; detail?: string }
  | { type: "touch"; keyId: string; step: CeremonyStep }
  | { type: "notice"; keyId?: string; taskId?: string; message: string }
  | { type: "quarantined"; taskId: string; reason: string }
  | {
      type: "provisioned";
      keyId: string;
      task: TaskView;
      methodId: string;
      /** What the operator writes on the key's label. */
      label: string;
      delivery: { kind: string; location?: string };
    }
  | {
      type: "recovered";
      taskId: string;
      outcome: "completed" | "released" | "failed" | "revoked";
      detail: string;
    }
  | {
      type: "error";
      keyId?: string;
      taskId?: string;
      step?: CeremonyStep;
      reason: string;
      retryable: boolean;
      message: string;
      /** What happened to the task: handed back, failed, or left alone (none was claimed). */
      task?: "released" | "failed" | "failed-final" | "none";
    }
  | { type: "dry-run"; keyId?: string; message: string }
  | { type: "idle"; keysBusy: number };

export type EventSink = (event: StationEvent) => void;
