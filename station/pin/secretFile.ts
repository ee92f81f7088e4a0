// Writing a file that holds (or seals) a PIN into the one folder the operator configured: the folder
// must be named and be an existing directory; the file is created 0600, written under a temporary name
// and renamed into place, so a reader never sees half a file and a crash never leaves a partial one.
import { randomBytes } from "node:crypto";
import { open, rename, stat, unlink } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";

export class PinDeliveryError extends Error {
  readonly brand = "keyfleet.PinDeliveryError";
  static isInstance(e: unknown): e is PinDeliveryError {
    return (
      typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.PinDeliveryError"
    );
  }
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PinDeliveryError";
  }
}

/** The configured output folder, resolved; refuses an unset folder or one that is not a directory. */
export async function checkDeliveryFolder(folder: string | undefined): Promise<string> {
  if (folder === undefined || folder.trim() === "") {
    throw new PinDeliveryError("no PIN output folder is configured: name one explicitly");
  }
  const dir = isAbsolute(folder) ? folder : resolve(folder);
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(dir);
  } catch (cause) {
    throw new PinDeliveryError(`the PIN output folder ${dir} does not exist`, { cause });
  }
  if (!st.isDirectory()) throw new PinDeliveryError(`the PIN output folder ${dir} is not a directory`);
  return dir;
}

/** Writes `bytes` to folder/name with mode 0600, replacing an older file of that name; returns its path. */
export async function writeSecretFile(folder: string, name: string, bytes: Uint8Array): Promise<string> {
  if (name.includes("/") || name.includes("\\") || name.startsWith(".")) {
    throw new PinDeliveryError(`'${name}' is not a plain file name`);
  }
  const dir = await checkDeliveryFolder(folder);
  const target = join(dir, name);
  const temp = join(dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(temp, "wx", 0o600);
  try {
    await fh.chmod(0o600);
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw e;
  }
  await fh.close();
  await rename(temp, target);
  return target;
}
