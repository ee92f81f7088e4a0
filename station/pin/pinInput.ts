// Reading a PIN an operator types or a program passes, never from the command line (argv is world-
// readable through ps and /proc): from the terminal without echo, from standard input, or from an
// inherited file descriptor. The PIN arrives in one fixed Buffer; every chunk read is zeroed.
import { createReadStream } from "node:fs";
import type { Readable, Writable } from "node:stream";

/** Longest line accepted: a CTAP2 PIN is at most 63 bytes, plus a line end. */
const MAX_LINE = 65;

export class PinInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PinInputError";
  }
}

/** Collects bytes of one line into a fixed buffer; `done` once a line end is seen. */
class PinLine {
  private readonly buf = Buffer.alloc(MAX_LINE);
  private length = 0;
  done = false;

  add(byte: number): void {
    if (this.done) return;
    if (byte === 0x0a) {
      this.done = true;
      return;
    }
    if (this.length === MAX_LINE) {
      this.buf.fill(0);
      throw new PinInputError("the PIN is longer than 63 bytes");
    }
    this.buf[this.length++] = byte;
  }

  backspace(): void {
    if (this.length > 0) this.buf[--this.length] = 0;
  }

  /** The PIN (a trailing CR dropped); the working buffer is zeroed. */
  take(): Buffer {
    let n = this.length;
    if (n > 0 && this.buf[n - 1] === 0x0d) n--;
    const pin = Buffer.alloc(n);
    this.buf.copy(pin, 0, 0, n);
    this.buf.fill(0);
    if (pin.length === 0) throw new PinInputError("no PIN was given (an empty line)");
    if (pin.length > 63) {
      pin.fill(0);
      throw new PinInputError("the PIN is longer than 63 bytes");
    }
    return pin;
  }

  wipe(): void {
    this.buf.fill(0);
  }
}

/** Ends a read: the PIN on success; on failure the bytes typed so far are wiped before the error. */
function settle(
  line: PinLine,
  err: Error | undefined,
  resolve: (pin: Buffer) => void,
  reject: (e: unknown) => void,
): void {
  if (err) {
    line.wipe();
    reject(err);
    return;
  }
  try {
    resolve(line.take());
  } catch (e) {
    reject(e);
  }
}

/** The first line of `input` (a pipe, a file, an fd), up to its end or EOF. */
export function readPinFromStream(input: Readable): Promise<Buffer> {
  const line = new PinLine();
  return new Promise<Buffer>((resolve, reject) => {
    const finish = (err?: Error): void => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.off("error", onError);
      input.pause();
      settle(line, err, resolve, reject);
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      try {
        for (const b of bytes) line.add(b);
      } catch (e) {
        finish(e as Error);
        return;
      } finally {
        bytes.fill(0);
      }
      if (line.done) finish();
    };
    const onEnd = (): void => finish();
    const onError = (e: Error): void => finish(new PinInputError(`the PIN could not be read: ${e.message}`));
    input.on("data", onData);
    input.once("end", onEnd);
    input.once("error", onError);
    input.resume();
  });
}

/** The first line read from file descriptor `fd`, which is closed afterwards. */
export async function readPinFromFd(fd: number): Promise<Buffer> {
  if (!Number.isInteger(fd) || fd < 0) throw new PinInputError("--pin-fd needs a file descriptor number");
  if (fd <= 2) throw new PinInputError("--pin-fd cannot be 0, 1 or 2: use --pin-stdin for standard input");
  const stream = createReadStream("", { fd, autoClose: true });
  try {
    return await readPinFromStream(stream);
  } finally {
    stream.destroy();
  }
}

/** A terminal we can put into raw mode (process.stdin when it is a TTY). */
export interface RawTerminal extends Readable {
  isTTY?: boolean;
  setRawMode(mode: boolean): unknown;
}

/**
 * Prompts on `output` and reads a line from the terminal with echo off. Backspace edits; Ctrl-C or
 * Ctrl-D on an empty line abandon the prompt.
 */
export function readPinFromTerminal(
  terminal: RawTerminal,
  output: Writable,
  prompt: string,
): Promise<Buffer> {
  const line = new PinLine();
  output.write(prompt);
  terminal.setRawMode(true);
  return new Promise<Buffer>((resolve, reject) => {
    let typed = 0;
    const finish = (err?: Error): void => {
      terminal.off("data", onData);
      terminal.setRawMode(false);
      terminal.pause();
      output.write("\n");
      settle(line, err, resolve, reject);
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      try {
        for (const b of bytes) {
          if (b === 0x03 || (b === 0x04 && typed === 0)) {
            finish(new PinInputError("no PIN was entered"));
            return;
          }
          if (b === 0x7f || b === 0x08) {
            line.backspace();
            typed = Math.max(0, typed - 1);
          } else if (b === 0x0d || b === 0x0a) {
            line.add(0x0a);
            finish();
            return;
          } else {
            line.add(b);
            typed++;
          }
        }
      } catch (e) {
        finish(e as Error);
      } finally {
        bytes.fill(0);
      }
    };
    terminal.on("data", onData);
    terminal.resume();
  });
}
