// The processes the demo starts (pulumi, the station, the CLI's own commands), each in its own process group
// so that stopping the demo stops the group and everything it spawned (pulumi's language host and providers),
// and nothing else on the machine.
import { spawn } from "node:child_process";

export interface ChildRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ChildOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to standard input, then closed. */
  input?: string;
  timeoutMs?: number;
}

export class Children {
  private readonly running = new Set<number>();

  run(command: string, args: readonly string[], opts: ChildOptions): Promise<ChildRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: opts.cwd,
        env: opts.env,
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
      });
      const pid = child.pid;
      if (pid !== undefined) this.running.add(pid);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.stdin.end(opts.input ?? "");
      const timer = setTimeout(() => {
        stderr += `\n(stopped after ${Math.round((opts.timeoutMs ?? 0) / 1000)} s)`;
        this.stopGroup(pid, "SIGKILL");
      }, opts.timeoutMs ?? 600_000);
      child.on("error", (err) => {
        clearTimeout(timer);
        if (pid !== undefined) this.running.delete(pid);
        reject(new Error(`cannot run ${command}: ${err.message}`));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (pid !== undefined) {
          // The leader is gone; helpers it left behind in its group go with it.
          this.stopGroup(pid, "SIGKILL");
          this.running.delete(pid);
        }
        resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
      });
    });
  }

  /** Stops every group still running (on an error or Ctrl-C). */
  stopAll(): void {
    for (const pid of this.running) this.stopGroup(pid, "SIGTERM");
    const left = [...this.running];
    if (left.length > 0)
      setTimeout(() => {
        for (const pid of left) this.stopGroup(pid, "SIGKILL");
      }, 2000).unref();
  }

  private stopGroup(pid: number | undefined, signal: NodeJS.Signals): void {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group has already exited
    }
  }
}
