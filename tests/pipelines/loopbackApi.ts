// A loopback HTTP server standing in for the CI services the pipelines talk to (GitHub's REST API, Azure
// DevOps' pull-request threads, the CI's OIDC token endpoint), which tests cannot reach: it records every
// request and answers from a handler the test writes.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: unknown;
}

export interface Reply {
  status?: number;
  json?: unknown;
}

export interface LoopbackApi {
  base: string;
  seen: Seen[];
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as unknown) : undefined;
}

export async function startLoopbackApi(handle: (s: Seen) => Reply | Promise<Reply>): Promise<LoopbackApi> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    bodyOf(req)
      .then(async (body) => {
        const s: Seen = {
          method: req.method ?? "",
          url: req.url ?? "",
          authorization: req.headers.authorization,
          body,
        };
        seen.push(s);
        const r = await handle(s);
        res.writeHead(r.status ?? 200, { "content-type": "application/json" });
        res.end(r.json === undefined ? "" : JSON.stringify(r.json));
      })
      .catch(() => {
        res.writeHead(400);
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
