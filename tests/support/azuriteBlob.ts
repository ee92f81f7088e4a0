// Starts Microsoft's Azurite Blob service on loopback, in memory, on a free port, for one suite (the Table
// service's starter is tests/support/azurite.ts; the same account and key), and a small Blob
// client of our own that signs with Shared Key, so a test can create a container and read what another
// program (Pulumi's azblob backend) stored there without trusting that program's own view of it.
import type { ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { fileURLToPath } from "node:url";
import { AZURITE_ACCOUNT, AZURITE_KEY, freePort, spawnAzuriteService, stopChild } from "./azurite.js";

const mainJs = fileURLToPath(new URL("../../node_modules/azurite/dist/src/blob/main.js", import.meta.url));
const API_VERSION = "2021-08-06";

export interface AzuriteBlob {
  port: number;
  /** http://127.0.0.1:<port>/devstoreaccount1 */
  endpoint: string;
  createContainer(name: string): Promise<void>;
  /** Blob names under a prefix, in order. */
  listBlobs(container: string, prefix?: string): Promise<string[]>;
  getBlob(container: string, name: string): Promise<Buffer>;
  /** An account SAS for the Blob service with these permissions (e.g. "rl": read and list only), 1 h. */
  accountSas(permissions: string): string;
  stop(): Promise<void>;
}

export async function startAzuriteBlob(): Promise<AzuriteBlob> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      const child = await spawnBlob(port);
      const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
      return {
        port,
        endpoint,
        async createContainer(name) {
          await request("PUT", `${endpoint}/${name}?restype=container`, [201]);
        },
        async listBlobs(container, prefix = "") {
          const names: string[] = [];
          let marker = "";
          do {
            const q = `restype=container&comp=list&prefix=${encodeURIComponent(prefix)}${marker ? `&marker=${encodeURIComponent(marker)}` : ""}`;
            const xml = (await request("GET", `${endpoint}/${container}?${q}`, [200])).toString("utf8");
            for (const m of xml.matchAll(/<Blob>\s*<Name>([^<]*)<\/Name>/g))
              names.push(unescapeXml(m[1] ?? ""));
            marker = unescapeXml(/<NextMarker>([^<]*)<\/NextMarker>/.exec(xml)?.[1] ?? "");
          } while (marker);
          return names;
        },
        async getBlob(container, name) {
          const path = name.split("/").map(encodeURIComponent).join("/");
          return request("GET", `${endpoint}/${container}/${path}`, [200]);
        },
        accountSas,
        stop: () => stopChild(child),
      };
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/** Account SAS, version 2020-12-06 and later: the string to sign ends with the (empty) encryption scope. */
function accountSas(permissions: string): string {
  const sv = API_VERSION;
  const se = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
  const fields = [AZURITE_ACCOUNT, permissions, "b", "sco", "", se, "", "http", sv, "", ""];
  const sig = createHmac("sha256", Buffer.from(AZURITE_KEY, "base64"))
    .update(fields.join("\n"), "utf8")
    .digest("base64");
  return new URLSearchParams({ sv, ss: "b", srt: "sco", sp: permissions, se, spr: "http", sig }).toString();
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

/**
 * Shared Key authorization (the Blob service's, 2009-09-19 and later). Path-style emulator URLs carry the
 * account in the path, so the canonicalized resource names it twice: /devstoreaccount1/devstoreaccount1/….
 */
function sharedKey(method: string, url: URL, headers: Record<string, string>): string {
  const canonicalHeaders = Object.keys(headers)
    .filter((h) => h.startsWith("x-ms-"))
    .sort()
    .map((h) => `${h}:${headers[h]}\n`)
    .join("");
  const params = new Map<string, string[]>();
  for (const [k, v] of url.searchParams)
    params.set(k.toLowerCase(), [...(params.get(k.toLowerCase()) ?? []), v]);
  const canonicalQuery = [...params.keys()]
    .sort()
    .map((k) => `\n${k}:${(params.get(k) ?? []).sort().join(",")}`)
    .join("");
  const resource = `/${AZURITE_ACCOUNT}${url.pathname}${canonicalQuery}`;
  const stringToSign = [method, "", "", "", "", "", "", "", "", "", "", "", canonicalHeaders + resource].join(
    "\n",
  );
  const signature = createHmac("sha256", Buffer.from(AZURITE_KEY, "base64"))
    .update(stringToSign, "utf8")
    .digest("base64");
  return `SharedKey ${AZURITE_ACCOUNT}:${signature}`;
}

async function request(method: string, href: string, expect: number[]): Promise<Buffer> {
  const url = new URL(href);
  const headers: Record<string, string> = {
    "x-ms-date": new Date().toUTCString(),
    "x-ms-version": API_VERSION,
  };
  headers.authorization = sharedKey(method, url, headers);
  const res = await fetch(url, { method, headers });
  const body = Buffer.from(await res.arrayBuffer());
  if (!expect.includes(res.status)) {
    throw new Error(
      `Azurite ${method} ${url.pathname}: HTTP ${res.status} ${body.toString("utf8").slice(0, 300)}`,
    );
  }
  return body;
}

function spawnBlob(port: number): Promise<ChildProcess> {
  return spawnAzuriteService("Azurite Blob", mainJs, [
    "--inMemoryPersistence",
    "--extentMemoryLimit",
    "256",
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    String(port),
    // Pulumi's Go SDK may send a newer x-ms-version than this Azurite release knows.
    "--skipApiVersionCheck",
  ]);
}
