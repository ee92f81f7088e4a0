// The operator at the desk: events go to the terminal's live view, questions are asked one at a time on
// the terminal (keys in parallel may ask together; the answers must not interleave). Questions read
// lines from stdin; nothing asked here is a secret, and no PIN is ever shown by this file.
import { createInterface, type Interface } from "node:readline";
import type { KeyView, StationEvent, TaskView } from "./events.js";
import type { StationOperator, TaskPick } from "./operator.js";

export interface TerminalOperatorOptions {
  event: (e: StationEvent) => void;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Answer "yes" to every reset without asking (automation that knows its keys are spares). */
  resetWithoutAsking?: boolean;
  /** Ask which task each key takes (otherwise the next in the queue). */
  askForTask?: boolean;
}

export function terminalOperator(opts: TerminalOperatorOptions): StationOperator & { close(): void } {
  const output = opts.output ?? process.stderr;
  let rl: Interface | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const lines: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let ended = false;
  const reader = () => {
    if (rl) return;
    rl = createInterface({ input: opts.input ?? process.stdin, terminal: false });
    rl.on("line", (l) => {
      const w = waiting.shift();
      if (w) w(l);
      else lines.push(l);
    });
    rl.on("close", () => {
      ended = true;
      for (const w of waiting.splice(0)) w(undefined);
    });
  };
  const ask = (question: string): Promise<string | undefined> => {
    const run = async () => {
      reader();
      output.write(question);
      const ready = lines.shift();
      if (ready !== undefined) return ready;
      if (ended) return undefined;
      return new Promise<string | undefined>((resolve) => waiting.push(resolve));
    };
    const next = queue.then(run, run);
    queue = next.catch(() => {});
    return next;
  };
  return {
    event: opts.event,
    async confirmReset(key: KeyView, why: string) {
      if (opts.resetWithoutAsking) return true;
      const answer = await ask(
        `${key.keyId}: ${why}. Resetting erases every credential on it and its PIN.\nType 'reset' to erase it, anything else to leave it: `,
      );
      return answer?.trim() === "reset";
    },
    async replug(key: KeyView) {
      const answer = await ask(
        `${key.keyId}: unplug the key, plug it back in, then press Enter at once (type 'skip' to give up): `,
      );
      return answer !== undefined && answer.trim() !== "skip";
    },
    async pickTask(key: KeyView, tasks: readonly TaskView[]): Promise<TaskPick> {
      if (!opts.askForTask) return { kind: "next" };
      const list = tasks
        .slice(0, 10)
        .map((t) => `  ${t.userPrincipalName} (${t.slot})`)
        .join("\n");
      const answer = (
        await ask(
          `${key.keyId} can take:\n${list}${tasks.length > 10 ? `\n  … ${tasks.length - 10} more` : ""}\nEnter for the next, a person's UPN, a scanned label, or 'skip': `,
        )
      )?.trim();
      if (answer === undefined || answer === "") return { kind: "next" };
      if (answer === "skip") return { kind: "skip" };
      if (answer.includes("·") || answer.includes("|")) return { kind: "label", scanned: answer };
      return { kind: "person", who: answer };
    },
    async readSerial(key: KeyView, task: TaskView) {
      const answer = await ask(
        `${key.keyId}: the slot ${task.userPrincipalName} · ${task.slot} takes one inventory key. Scan or type the serial on this key's label (Enter if it has none): `,
      );
      return answer?.trim() || undefined;
    },
    close() {
      rl?.close();
    },
  };
}
