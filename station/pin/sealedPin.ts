// The default handover: the PIN sealed to the recipients' age public keys (age-encryption.org/v1, the
// format Debian's `age` tool decrypts), one .age file per key in the configured folder. The sealed text
// names the person and key; the plaintext copy is zeroed as soon as it is encrypted.
import { Encrypter } from "age-encryption";
import { fileNamePart, type PinDelivery, type PinHandover, personName } from "./handover.js";
import { checkDeliveryFolder, PinDeliveryError, writeSecretFile } from "./secretFile.js";

export interface SealedDeliveryConfig {
  /** age recipients (`age1…`); everyone listed can open every file. */
  recipients: string[];
  /** The one folder the sealed files go to. */
  folder: string;
}

function encrypter(recipients: string[]): Encrypter {
  if (recipients.length === 0) throw new PinDeliveryError("no age recipient is configured for sealed PINs");
  const e = new Encrypter();
  for (const r of recipients) {
    try {
      e.addRecipient(r.trim());
    } catch (cause) {
      throw new PinDeliveryError(`'${r}' is not an age recipient (age1…)`, { cause });
    }
  }
  return e;
}

/** The text that is sealed: who and which key, then the PIN. Zero the result after use. */
export function sealedText(h: PinHandover): Buffer {
  const head = Buffer.from(
    [
      "Keyfleet security key PIN",
      `Person: ${personName(h.person)} <${h.person.userPrincipalName}>`,
      `Key: ${h.keyLabel} (${h.model})`,
      ...(h.pinChangeRequired ? ["The key asks for a new PIN on first use."] : []),
      "PIN: ",
    ].join("\n"),
    "utf8",
  );
  return Buffer.concat([head, h.pin, Buffer.from("\n")]);
}

/** Checks the recipients and the folder now, so a station with a bad setting stops before any ceremony. */
export async function sealedDelivery(config: SealedDeliveryConfig): Promise<PinDelivery> {
  const recipients = [...config.recipients];
  encrypter(recipients);
  const folder = await checkDeliveryFolder(config.folder);
  return {
    kind: "sealed",
    async deliver(h) {
      const plain = sealedText(h);
      let sealed: Uint8Array;
      try {
        sealed = await encrypter(recipients).encrypt(plain);
      } finally {
        plain.fill(0);
      }
      const name = `${fileNamePart(h.person.userPrincipalName)}--${fileNamePart(h.keyLabel)}.age`;
      return { kind: "sealed", location: await writeSecretFile(folder, name, sealed) };
    },
  };
}
