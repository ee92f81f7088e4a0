// Showing a PIN once on the operator's terminal (the "screen" delivery): written as bytes to the terminal
// stream (never stdout, which may carry the --json events), with who and which key it belongs to.
import type { PinScreen } from "../pin/screenPin.js";

export function terminalPinScreen(out: NodeJS.WritableStream): PinScreen {
  return {
    async showPinOnce(h) {
      const head = Buffer.from(`PIN for ${h.person.userPrincipalName}, key "${h.keyLabel}" (${h.model}): `);
      const line = Buffer.concat([head, h.pin, Buffer.from("\n")]);
      await new Promise<void>((resolve, reject) => out.write(line, (e) => (e ? reject(e) : resolve())));
      line.fill(0);
    },
  };
}
