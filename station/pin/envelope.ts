// The printable handover: one self-contained HTML page per key (no scripts, no external resources), with
// the person's name, the key's label and model, first-use instructions and the PIN, written only into
// the one folder the operator configured (a removable drive, a printer's spool folder).

import { isDigitPin } from "./generatePin.js";
import { fileNamePart, type PinDelivery, type PinHandover, personName } from "./handover.js";
import { checkDeliveryFolder, PinDeliveryError, writeSecretFile } from "./secretFile.js";

export interface EnvelopeDeliveryConfig {
  /** The one folder envelopes are written to; it must already exist. */
  folder: string;
}

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

const STYLE = `body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;color:#111}
h1{font-size:1.4em}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em}dt{font-weight:600}
.pin{font:700 2.2em/1.2 ui-monospace,monospace;letter-spacing:.25em;border:2px solid #111;padding:.4em .6em;
display:inline-block;margin:.4em 0;word-break:break-all;max-width:90%}ol li{margin:.3em 0}footer{margin-top:2em;font-size:.85em;color:#444}`;

/** The page as bytes, the PIN spliced in without ever becoming a string. Zero the result after use. */
export function envelopeHtml(h: PinHandover): Buffer {
  if (!isDigitPin(h.pin)) throw new PinDeliveryError("an envelope PIN must be decimal digits");
  const name = escapeHtml(personName(h.person));
  const before = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Security key PIN for ${name}</title>
<style>${STYLE}</style></head><body>
<h1>Your security key</h1>
<dl><dt>For</dt><dd>${name} (${escapeHtml(h.person.userPrincipalName)})</dd>
<dt>Key label</dt><dd>${escapeHtml(h.keyLabel)}</dd><dt>Model</dt><dd>${escapeHtml(h.model)}</dd></dl>
<p>Your key's PIN:</p>
<p class="pin">`;
  const after = `</p>
<h2>First use</h2>
<ol>
<li>Check that the label on the key reads <strong>${escapeHtml(h.keyLabel)}</strong>.</li>
<li>Plug the key in (or hold it to the reader) when your browser or Windows asks for a security key.</li>
<li>Enter the PIN above, then touch the key when it blinks.</li>
${
  h.pinChangeRequired
    ? "<li>The key asks you to choose a new PIN: pick one you use nowhere else and do not write it down.</li>"
    : "<li>Change the PIN to one only you know, in your operating system's security key settings.</li>"
}
<li>Shred this page once you have signed in. Never send the PIN by e-mail or chat.</li>
</ol>
<footer>Prepared by Keyfleet. If this page was opened or damaged before it reached you, tell IT at once:
the key will be revoked and replaced.</footer>
</body></html>
`;
  return Buffer.concat([Buffer.from(before, "utf8"), h.pin, Buffer.from(after, "utf8")]);
}

export async function envelopeDelivery(config: EnvelopeDeliveryConfig): Promise<PinDelivery> {
  const folder = await checkDeliveryFolder(config.folder);
  return {
    kind: "envelope",
    async deliver(h) {
      const page = envelopeHtml(h);
      try {
        const name = `${fileNamePart(h.person.userPrincipalName)}--${fileNamePart(h.keyLabel)}.html`;
        return { kind: "envelope", location: await writeSecretFile(folder, name, page) };
      } finally {
        page.fill(0);
      }
    },
  };
}
