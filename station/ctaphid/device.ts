// The message-level device interface CTAP2 sees (STYLE.md §7): whole requests in, whole replies out.
// CTAPHID over a HidConnection implements it; an NFC transport would too.

export interface CallOptions {
  /** Aborting cancels the request on the device (CTAPHID_CANCEL) and rejects with TransportError. */
  signal?: AbortSignal;
  /** Milliseconds for the whole call, writes and reads alike (default set by the device). */
  timeoutMs?: number;
  /** Called with each KEEPALIVE status (1 processing, 2 user presence needed: "touch the key"). */
  onKeepalive?: (status: number) => void;
}

export interface CtapDevice {
  /** Sends one command and resolves with the reply payload. */
  call(cmd: number, data: Uint8Array, opts?: CallOptions): Promise<Uint8Array>;
  /** Capability flags from CTAPHID_INIT (CBOR, NMSG, WINK). */
  readonly capabilities: number;
  close(): Promise<void>;
}
