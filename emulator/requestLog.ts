// A short in-memory log of the requests the emulator answered (method, path, status, retry attempt),
// for tests that count retries. It never holds headers, bodies or tokens.

export interface LoggedRequest {
  at: string;
  method: string;
  path: string;
  status: number;
  retryAttempt?: number;
  fault?: string;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];
  constructor(private readonly limit = 2000) {}

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  list(): LoggedRequest[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }
}
