// The terminal's live view: one line per key with its model, person and step, "touch the key" while the key
// waits, the label to write on a provisioned key; redrawn in place on a terminal, plain lines in a pipe.
import { describe, expect, it } from "vitest";
import type { StationEvent } from "../../../station/runner/events.js";
import { TerminalView } from "../../../station/runner/terminalView.js";

const task = {
  taskId: "t1",
  userPrincipalName: "ada@contoso.example",
  personObjectId: "o1",
  slot: "primary",
};
const events: StationEvent[] = [
  { type: "key-attached", key: { keyId: "hid:1", transport: "hid", model: "YubiKey 5 NFC" } },
  { type: "key-attached", key: { keyId: "hid:2", transport: "hid", model: "Feitian K40" } },
  { type: "step", keyId: "hid:1", step: "make-credential", task },
  { type: "touch", keyId: "hid:1", step: "make-credential" },
  { type: "step", keyId: "hid:2", step: "set-pin" },
];

describe("terminal view", () => {
  it("should redraw one live line per key in place on a terminal", () => {
    let screen = "";
    const view = new TerminalView({ write: (t) => (screen += t), isTTY: true });
    for (const e of events) view.event(e);
    const lastDraw = screen.slice(screen.lastIndexOf("\x1b[J") + 3);
    const lines = lastDraw.split("\n").filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /hid:1 {2}YubiKey 5 NFC {2}ada@contoso\.example \(primary\) {2}make-credential.*touch the key/,
    );
    expect(lines[1]).toMatch(/hid:2 {2}Feitian K40 {2}set-pin/);
    expect(lines[1]).not.toMatch(/touch/);
  });

  it("should print each change as a plain line in a pipe, and the label to put on the key", () => {
    let out = "";
    const view = new TerminalView({ write: (t) => (out += t), isTTY: false });
    for (const e of events) view.event(e);
    view.event({
      type: "provisioned",
      keyId: "hid:1",
      task,
      methodId: "m1",
      label: "ada@contoso.example · primary",
      delivery: { kind: "sealed", location: "/media/pins/ada.age" },
    });
    expect(out).not.toContain("\x1b[");
    expect(out).toMatch(/touch the key/);
    expect(out).toMatch(/put the label "ada@contoso\.example · primary" on the key/);
  });
});
