// A person's FIDO2 methods: listing (one person, or everyone through $batch), creationOptions and deletion.
// Registration lives in registration.ts because it must never be retried blindly.
import { batchGet } from "./batch.js";
import type { EntraClient } from "./client.js";
import { EntraError } from "./errors.js";
import { type Fido2Method, parseFido2Method } from "./model.js";

const methodsPath = (userId: string) => `/users/${encodeURIComponent(userId)}/authentication/fido2Methods`;

export async function listFido2Methods(entra: EntraClient, userId: string): Promise<Fido2Method[]> {
  const methods: Fido2Method[] = [];
  for await (const page of entra.pages<unknown>(methodsPath(userId))) methods.push(...parseAll(page, userId));
  return methods;
}

/**
 * Every person's FIDO2 methods, 20 people to a $batch and `concurrency` batches in flight. A person whose
 * methods cannot be read fails the call (an unreadable list must never look like "no keys").
 */
export async function listFido2MethodsBulk(
  entra: EntraClient,
  userIds: readonly string[],
): Promise<Map<string, Fido2Method[]>> {
  const unique = [...new Set(userIds)];
  const outcomes = await batchGet<{ value?: unknown[]; "@odata.nextLink"?: string }>(
    entra,
    unique.map((id) => ({ url: methodsPath(id) })),
  );
  const out = new Map<string, Fido2Method[]>();
  for (const [i, outcome] of outcomes.entries()) {
    const userId = unique[i] as string;
    if (!outcome.ok) throw outcome.error;
    const methods = parseAll(outcome.body.value ?? [], userId);
    // Paging of this list is not documented, but follow a nextLink if Graph ever sends one.
    let next = outcome.body["@odata.nextLink"];
    while (next !== undefined) {
      const page: { value?: unknown[]; "@odata.nextLink"?: string } = await entra.get(next);
      methods.push(...parseAll(page.value ?? [], userId));
      next = page["@odata.nextLink"];
    }
    out.set(userId, methods);
  }
  return out;
}

function parseAll(raw: readonly unknown[], userId: string): Fido2Method[] {
  return raw.map((item) => {
    const method = parseFido2Method(item);
    if (method === undefined) {
      throw new EntraError({
        kind: "Other",
        message: "Graph returned a FIDO2 method without an id",
        path: methodsPath(userId),
      });
    }
    return method;
  });
}

/** The WebAuthn creation options Entra hands out for one person (its JSON, unchanged). */
export interface CreationOptions {
  publicKey: Record<string, unknown>;
  challengeTimeoutDateTime?: string;
  [key: string]: unknown;
}

/**
 * GET creationOptions: v1.0 (fixed 5-minute challenge) unless a challenge timeout is configured, which only
 * beta accepts. A GET, so it is retried; each answer carries a fresh challenge.
 */
export async function getCreationOptions(
  entra: EntraClient,
  userId: string,
  challengeTimeoutMinutes: number | undefined = entra.config.challengeTimeoutMinutes,
): Promise<CreationOptions> {
  if (challengeTimeoutMinutes === undefined) {
    return entra.get<CreationOptions>(`${methodsPath(userId)}/creationOptions`, "v1.0");
  }
  return entra.get<CreationOptions>(
    `${methodsPath(userId)}/creationOptions(challengeTimeoutInMinutes=${challengeTimeoutMinutes})`,
    "beta",
  );
}

/**
 * Deletes one method. Returns "deleted", or "absent" when Graph says it is not there (already revoked,
 * or our earlier attempt succeeded before the connection dropped).
 */
export async function deleteFido2Method(
  entra: EntraClient,
  userId: string,
  methodId: string,
): Promise<"deleted" | "absent"> {
  try {
    await entra.delete(`${methodsPath(userId)}/${encodeURIComponent(methodId)}`);
    return "deleted";
  } catch (err) {
    if (EntraError.isInstance(err) && err.kind === "NotFound") return "absent";
    throw err;
  }
}
