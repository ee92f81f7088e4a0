// The one interface through which the runner asks the operator anything: touch prompts and progress
// arrive as events; confirming a reset, replugging a key and picking a task are questions. The terminal,
// the tests and automation each plug in their own.
import type { KeyView, StationEvent, TaskView } from "./events.js";

/** What the operator answers when a key could take one of several tasks. */
export type TaskPick =
  | { kind: "next" }
  | { kind: "person"; who: string }
  | { kind: "label"; scanned: string }
  | { kind: "skip" };

export interface StationOperator {
  /** Everything that happens, including "touch the key" (type "touch"). Never carries a PIN. */
  event(event: StationEvent): void;
  /** The key holds a PIN or credentials: may the runner erase it? */
  confirmReset(key: KeyView, why: string): Promise<boolean>;
  /**
   * The key refused a reset because it was powered up too long ago: the operator unplugs and replugs it
   * and resolves once it is back in; false gives up on the key.
   */
  replug(key: KeyView): Promise<boolean>;
  /** Which task this key should take (attended stations ask; automation answers "next"). */
  pickTask(key: KeyView, waiting: readonly TaskView[]): Promise<TaskPick>;
  /**
   * The serial printed on the key's label, scanned or typed, for a task whose slot names an inventory
   * serial (asked at attended stations only, when the key cannot tell it itself); undefined: none given.
   */
  readSerial(key: KeyView, task: TaskView): Promise<string | undefined>;
}

/** Unattended: never erases a key, takes the next task in the queue, and reports everything. */
export function unattendedOperator(event: (e: StationEvent) => void): StationOperator {
  return {
    event,
    confirmReset: async () => false,
    replug: async () => false,
    pickTask: async () => ({ kind: "next" }),
    readSerial: async () => undefined,
  };
}
