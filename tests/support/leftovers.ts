// What a test that starts long-running processes checks at its end: that nothing it started is still
// running in its folder, and that the port it served on is closed again.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect } from "node:net";

/** Processes (other than this one) whose working directory or command line is inside the folder. */
export function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cwd.startsWith(dir) || cmdline.includes(dir)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone already, or not ours to read
    }
  }
  return found;
}

/** True when nothing listens on the loopback port any more. */
export function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}
