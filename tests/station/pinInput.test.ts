// Reading an operator's PIN: the terminal without echo (raw mode, backspace, Ctrl-C), and one line from a
// stream, as bytes in a Buffer. The terminal is a PassThrough with setRawMode: a TTY is the edge here.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { PinInputError, readPinFromStream, readPinFromTerminal } from "../../station/pin/pinInput.js";

class FakeTerminal extends PassThrough {
  readonly modes: boolean[] = [];
  setRawMode(mode: boolean): this {
    this.modes.push(mode);
    return this;
  }
}

function screen(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString() };
}

describe("readPinFromTerminal", () => {
  it("should read a typed PIN with echo off, honour backspace, and restore the terminal", async () => {
    const tty = new FakeTerminal();
    const { out, text } = screen();
    const pending = readPinFromTerminal(tty, out, "PIN: ");
    tty.write("12x");
    tty.write(Buffer.of(0x7f));
    tty.write("3456\r");
    const pin = await pending;
    expect(Buffer.isBuffer(pin)).toBe(true);
    expect(pin.toString()).toBe("123456");
    expect(tty.modes).toEqual([true, false]);
    expect(text()).toBe("PIN: \n");
  });

  it("should abandon the prompt on Ctrl-C", async () => {
    const tty = new FakeTerminal();
    const pending = readPinFromTerminal(tty, screen().out, "PIN: ");
    tty.write("12\u0003");
    await expect(pending).rejects.toBeInstanceOf(PinInputError);
    expect(tty.modes).toEqual([true, false]);
  });
});

describe("readPinFromStream", () => {
  it("should take the first line, without its CR LF, as bytes", async () => {
    const s = new PassThrough();
    const pending = readPinFromStream(s);
    s.write("98");
    s.end("7654\r\nrest of the input\n");
    expect((await pending).toString()).toBe("987654");
  });

  it("should take a last line without a line end, and refuse an empty or over-long one", async () => {
    const last = new PassThrough();
    const p1 = readPinFromStream(last);
    last.end("4711");
    expect((await p1).toString()).toBe("4711");
    const empty = new PassThrough();
    const p2 = readPinFromStream(empty);
    empty.end("");
    await expect(p2).rejects.toThrow(/no PIN was given/);
    const long = new PassThrough();
    const p3 = readPinFromStream(long);
    long.end(`${"7".repeat(64)}\n`);
    await expect(p3).rejects.toThrow(/longer than 63 bytes/);
  });
});
