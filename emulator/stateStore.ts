// The tenant's mutable state (registered methods, FIDO2 policy, spent challenges, trust anchors, clock
// offset, the directory changes made through the admin routes) and its persistence. Consistency model, for several processes sharing one state file:
// - every request first re-reads the file if its identity (inode, size, mtime) changed since we last saw it,
//   so reads see any write that completed before the request began;
// - every change runs under an exclusive lock file (`<state>.lock`, created with O_EXCL; a lock older than
//   10 s is taken as abandoned), re-reads the file inside the lock, applies the change, and writes a temp
//   file that is renamed over the state file, so writers never lose each other's changes and readers never
//   see a half-written file.
// Without a state file the state lives in memory only.
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import type { DirectoryChanges } from "./directory.js";
import type { Fido2Policy } from "./policyModel.js";

export interface StoredMethod {
  id: string;
  displayName: string;
  createdDateTime: string;
  aaGuid: string;
  model: string | null;
  attestationCertificates: string[];
  attestationLevel: "attested" | "notAttested";
  passkeyType: "deviceBound" | "synced";
  /** Raw credential id, base64url. */
  credentialId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  signCount: number;
  fmt: string;
}

export interface TenantState {
  version: 1;
  tenantId: string;
  policy: Fido2Policy;
  methods: Record<string, StoredMethod[]>;
  /** Challenge nonce → expiry (ms since epoch); kept until expiry so a challenge is used once. */
  usedChallenges: Record<string, number>;
  trustAnchors: string[];
  clockOffsetMs: number;
  /** Renames, disabled and deleted users, group membership; absent in state files written before. */
  directory?: DirectoryChanges;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export class StateStore {
  private state: TenantState;
  private seen = "";

  constructor(
    initial: TenantState,
    private readonly file?: string,
  ) {
    this.state = initial;
    if (!file) return;
    this.withLock(() => {
      if (existsSync(file)) {
        const loaded = this.load(file);
        if (loaded.tenantId !== initial.tenantId) {
          throw new Error(
            `state file ${file} belongs to tenant ${loaded.tenantId}, not ${initial.tenantId}: use another --state file`,
          );
        }
        this.state = loaded;
      } else {
        this.write(file);
      }
    });
  }

  /** The current state, re-read from the file first if another process changed it. */
  read(): TenantState {
    if (this.file) {
      const id = this.identity(this.file);
      if (id !== this.seen) this.state = this.load(this.file);
    }
    return this.state;
  }

  /** Applies a change atomically (see the header); fn may throw to change nothing. */
  mutate<T>(fn: (s: TenantState) => T): T {
    const file = this.file;
    if (!file) {
      const draft = structuredClone(this.state);
      const result = fn(draft);
      this.state = draft;
      return result;
    }
    return this.withLock(() => {
      const draft = structuredClone(this.read());
      const result = fn(draft);
      this.state = draft;
      this.write(file);
      return result;
    });
  }

  private load(file: string): TenantState {
    const text = readFileSync(file, "utf8");
    const parsed = JSON.parse(text) as TenantState;
    if (parsed.version !== 1)
      throw new Error(`state file ${file} has unknown version ${String(parsed.version)}`);
    this.seen = this.identity(file);
    return parsed;
  }

  private write(file: string): void {
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    renameSync(tmp, file);
    this.seen = this.identity(file);
  }

  private identity(file: string): string {
    try {
      const s = statSync(file);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return "missing";
    }
  }

  private withLock<T>(fn: () => T): T {
    const lock = `${this.file}.lock`;
    const deadline = Date.now() + 5000;
    let fd: number | undefined;
    while (fd === undefined) {
      try {
        fd = openSync(lock, "wx");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        try {
          if (Date.now() - statSync(lock).mtimeMs > 10_000) unlinkSync(lock);
        } catch {
          // The holder released it meanwhile.
        }
        if (Date.now() > deadline) throw new Error(`state file lock ${lock} is held by another process`);
        Atomics.wait(sleeper, 0, 0, 5);
      }
    }
    try {
      return fn();
    } finally {
      closeSync(fd);
      unlinkSync(lock);
    }
  }
}
