// Errors the task store raises. `code` says what went wrong in a way callers branch on.
export type TaskStoreErrorCode =
  /** No task with that id. */
  | "not-found"
  /** The operation does not apply to the task's current state (e.g. completing a cancelled task). */
  | "invalid-state"
  /** The caller no longer holds the lease (expired and taken by another station, released, cancelled). */
  | "lease-lost"
  /** The input is malformed (missing field, bad generation, a secret where none belongs). */
  | "bad-input"
  /** The store location or credentials are wrong. */
  | "bad-config"
  /** The backend refused the caller (e.g. a station's SAS may not insert). */
  | "forbidden";

export class TaskStoreError extends Error {
  readonly brand = "keyfleet.TaskStoreError";
  constructor(
    readonly code: TaskStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TaskStoreError";
  }
  static isInstance(e: unknown): e is TaskStoreError {
    return (
      typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.TaskStoreError"
    );
  }
}
