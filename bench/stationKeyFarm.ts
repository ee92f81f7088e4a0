// The station benchmark's keys, in a process of their own (`node --import tsx bench/stationKeyFarm.ts`), so
// that their work is not counted as the station's: fresh virtual keys over UDP, each answering as slowly as
// a real key. A touch is the key's own wait for presence: it blinks (KEEPALIVE UPNEEDED) until the touch time
// has passed, and only when the command asks for one (a silent getAssertion does not). Each CTAP2 reply is
// held until its command's modelled time on a secure element, plus the touch it waited for, has passed since
// the request arrived; the virtual key's own crypto counts towards it. A getAssertion that finds no
// credential signs nothing and answers at once. The station sees only the wait, as with a real key.
//
// One JSON object a line: stdin `{"keys": n, "touchMs": t, "commandMs": {"1": ms, …}, "otherMs": ms,
// "noCredentialMs": ms}` closes the previous keys and starts n fresh ones; stdout answers `{"ports": [...]}`.
import { createSocket, type Socket } from "node:dgram";
import { createInterface } from "node:readline";
import { VirtualKey } from "../station/virtual/virtualKey.js";

interface Ask {
  keys: number;
  touchMs: number;
  /** Modelled time per CTAP2 command byte, without the touch. */
  commandMs: Record<string, number>;
  otherMs: number;
  /** A getAssertion answering NO_CREDENTIALS. */
  noCredentialMs: number;
}

const CBOR = 0x90;
const KEEPALIVE = 0xbb;
const UP_NEEDED = 2;
const GET_ASSERTION = 2;
const NO_CREDENTIALS = 0x2e;

interface Key {
  key: VirtualKey;
  socket: Socket;
}

async function startKey(ask: Ask): Promise<Key> {
  const key = await VirtualKey.create({ presence: { mode: "approve", approveDelayMs: ask.touchMs } });
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  socket.on("error", () => {});
  // Per channel: the request's command, when it arrived and whether the key has asked for a touch; and the
  // gate its reply's continuation packets queue behind.
  const asked = new Map<number, { command: number; at: number; touched: boolean }>();
  const gates = new Map<number, Promise<void>>();
  socket.on("message", (msg, from) => {
    const report = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
    const cid = msg.readUInt32BE(0);
    if (report[4] === CBOR) asked.set(cid, { command: report[7]!, at: performance.now(), touched: false });
    key.receive(report, (reply) => {
      const out = Buffer.from(reply);
      const send = () => socket.send(out, from.port, from.address);
      const request = asked.get(cid);
      if (out[4] === KEEPALIVE) {
        if (request && out[7] === UP_NEEDED) request.touched = true;
        return send();
      }
      if (out[4] === CBOR && request) {
        asked.delete(cid);
        const found = !(request.command === GET_ASSERTION && out[7] === NO_CREDENTIALS);
        const modelled = found ? (ask.commandMs[request.command] ?? ask.otherMs) : ask.noCredentialMs;
        const wait = request.at + modelled + (request.touched ? ask.touchMs : 0) - performance.now();
        gates.set(cid, wait > 0 ? new Promise((r) => setTimeout(r, wait)) : Promise.resolve());
      }
      const gate = gates.get(cid);
      if (gate) void gate.then(send);
      else send();
    });
  });
  return { key, socket };
}

let keys: Key[] = [];
for await (const line of createInterface({ input: process.stdin })) {
  const ask = JSON.parse(line) as Ask;
  for (const k of keys) {
    k.key.device.reset();
    k.socket.close();
  }
  keys = [];
  for (let i = 0; i < ask.keys; i++) keys.push(await startKey(ask));
  process.stdout.write(`${JSON.stringify({ ports: keys.map((k) => k.socket.address().port) })}\n`);
}
