// The CTAP 2.1 authenticator behind the virtual key: it owns the persistent state (credentials, PIN
// hash, retries, PIN policy, attestation keys) and the state a real key loses when unplugged (key
// agreement key, pinUvAuthToken, the consecutive-wrong-PIN counter, the reset window), and dispatches each
// CTAPHID_CBOR message to the command that answers it. Commands live in one file each, next to this one.
import { createHash } from "node:crypto";
import { CborError, type CborValue, decodeStrict, encodeCanonical } from "../cbor.js";
import { KeyAgreementKey, type PinUvAuthProtocol, pinProtocolFor } from "../ctap2/pinProtocol.js";
import {
  type AttestationMaterial,
  Attester,
  generateAttestation,
  issueBatch,
  issueEnterprise,
} from "./attestation.js";
import { authenticatorConfig } from "./authenticatorConfig.js";
import { clientPin } from "./clientPin.js";
import { credentialManagement } from "./credentialManagement.js";
import type { CborRequestContext } from "./ctaphidDevice.js";
import { getAssertion, getNextAssertion, type PendingAssertions } from "./getAssertion.js";
import { getInfo } from "./getInfo.js";
import { makeCredential } from "./makeCredential.js";
import { Params } from "./params.js";
import { PinUvAuthToken } from "./pinUvToken.js";
import { collectUserPresence, type PresenceMode, type PresenceSettings } from "./presence.js";
import {
  DEFAULT_MIN_PIN_LENGTH,
  MAX_PIN_RETRIES,
  memoryStore,
  type StateStore,
  type StoredCredential,
  type VirtualKeyState,
} from "./state.js";
import { CtapStatusError, fail, Status } from "./status.js";

/** "keyfleet-virtual" in ASCII: an AAGUID no real authenticator carries. */
export const DEFAULT_AAGUID = "6b6579666c6565742d7669727475616c";
export const DEFAULT_MODEL = "Keyfleet Virtual Key";

/** CTAP2 command bytes (CTAP 2.1 §6). */
export const Command = {
  MakeCredential: 0x01,
  GetAssertion: 0x02,
  GetInfo: 0x04,
  ClientPin: 0x06,
  Reset: 0x07,
  GetNextAssertion: 0x08,
  CredentialManagement: 0x0a,
  Selection: 0x0b,
  Config: 0x0d,
  CredentialManagementPreview: 0x41,
} as const;

export interface VirtualAuthenticatorOptions {
  /** AAGUID as 32 hex digits or a UUID string (default: the Keyfleet test AAGUID). */
  aaguid?: string;
  /** Model name, written into the batch certificate's CN (default "Keyfleet Virtual Key"). */
  model?: string;
  /** Where the state lives (default: memory only). */
  store?: StateStore;
  /** User presence behaviour; changeable later with setPresence(). */
  presence?: Partial<PresenceSettings>;
  /**
   * How long after power-up authenticatorReset is accepted. Real keys allow about 10 s after they are
   * plugged in (some 5 s), so that software alone cannot wipe a key already in use; powerCycle() is the
   * virtual replug. Default 10 000 ms.
   */
  resetWindowMs?: number;
  /** Lifetime of a pinUvAuthToken after it is issued (default 10 minutes, the spec's suggestion). */
  tokenLifetimeMs?: number;
  /** Discoverable credential slots (default 100). */
  maxDiscoverableCredentials?: number;
  /** firmwareVersion reported by getInfo. */
  firmwareVersion?: number;
  /**
   * "2.0" makes a CTAP 2.0 key, as many keys in the field still are: getInfo lists FIDO_2_0 only, PIN
   * protocol 1, no pinUvAuthToken, credential management, authenticatorConfig or credProtect, and no
   * maxCredentialCountInList. Default "2.1".
   */
  ctapVersion?: "2.0" | "2.1";
  /** maxMsgSize in getInfo, enforced on every CBOR request (default 2048). */
  maxMsgSize?: number;
  /** Clock, for tests of the reset window and token lifetime. */
  now?: () => number;
  /**
   * Enterprise attestation (CTAP 2.1 §7.1) with this device serial in its certificate: getInfo lists
   * "ep" (disabled until authenticatorConfig enableEnterpriseAttestation, or `enabled`; a reset disables
   * it again). `rpIds` are served by vendor-facilitated requests (1); platform-managed ones (2) by any RP.
   */
  enterpriseAttestation?: { serial: string; rpIds?: string[]; enabled?: boolean };
}

export class VirtualAuthenticator {
  /** @internal */ state: VirtualKeyState;
  /** @internal */ readonly aaguid: Uint8Array;
  /** @internal */ attester: Attester;
  /** @internal */ keyAgreementKey = KeyAgreementKey.generate();
  /** @internal */ readonly token: PinUvAuthToken;
  /** @internal */ consecutivePinFailures = 0;
  /** @internal */ pendingAssertions: PendingAssertions | undefined;
  /** @internal */ credMgmtEnumeration:
    | { kind: "rps"; items: string[] }
    | { kind: "creds"; items: StoredCredential[] }
    | undefined;
  /** @internal */ readonly now: () => number;
  readonly presence: PresenceSettings;
  readonly resetWindowMs: number;
  readonly maxDiscoverableCredentials: number;
  readonly firmwareVersion: number;
  readonly ctapVersion: "2.0" | "2.1";
  readonly maxMsgSize: number;
  private poweredUpAt: number;
  private createdCounter = 0;

  private constructor(
    state: VirtualKeyState,
    private readonly store: StateStore,
    opts: VirtualAuthenticatorOptions,
  ) {
    this.state = state;
    this.aaguid = new Uint8Array(Buffer.from(state.aaguidHex, "hex"));
    this.attester = new Attester(state.attestation, state.enterprise);
    this.now = opts.now ?? Date.now;
    this.token = new PinUvAuthToken(opts.tokenLifetimeMs ?? 600_000, this.now);
    this.presence = { mode: "approve", timeoutMs: 30_000, approveDelayMs: 0, ...opts.presence };
    this.resetWindowMs = opts.resetWindowMs ?? 10_000;
    this.maxDiscoverableCredentials = opts.maxDiscoverableCredentials ?? 100;
    this.firmwareVersion = opts.firmwareVersion ?? 0x010000;
    this.ctapVersion = opts.ctapVersion ?? "2.1";
    this.maxMsgSize = opts.maxMsgSize ?? MAX_MESSAGE_SIZE;
    this.poweredUpAt = this.now();
  }

  /** Loads the key from its store, or makes a new one (fresh attestation root and batch certificate). */
  static async create(opts: VirtualAuthenticatorOptions = {}): Promise<VirtualAuthenticator> {
    const store = opts.store ?? memoryStore();
    const aaguidHex = normaliseAaguid(opts.aaguid ?? DEFAULT_AAGUID);
    const model = opts.model ?? DEFAULT_MODEL;
    const identity = { aaguid: new Uint8Array(Buffer.from(aaguidHex, "hex")), model };
    let state = store.load();
    if (!state) {
      state = {
        format: "keyfleet-virtual-key/1",
        aaguidHex,
        model,
        attestation: await generateAttestation(identity),
        pin: null,
        pinRetries: MAX_PIN_RETRIES,
        minPinLength: DEFAULT_MIN_PIN_LENGTH,
        forcePinChange: false,
        credentials: [],
      };
      store.save(state);
    } else if (
      (opts.aaguid !== undefined && state.aaguidHex !== aaguidHex) ||
      (opts.model !== undefined && state.model !== model)
    ) {
      // A stored key asked to be another model: same root, a batch certificate for the new identity.
      const attestation: AttestationMaterial = await issueBatch(state.attestation, identity);
      state = { ...state, aaguidHex, model, attestation };
      store.save(state);
    }
    const ea = opts.enterpriseAttestation;
    if (ea && state.enterprise?.serial !== ea.serial) {
      const issued = await issueEnterprise(state.attestation, identity, ea.serial, ea.rpIds);
      state = { ...state, enterprise: { ...issued, enabled: ea.enabled === true } };
      store.save(state);
    }
    return new VirtualAuthenticator(state, store, opts);
  }

  /** The attestation root as PEM, for relying parties (the Graph emulator) to trust. */
  get attestationRootPem(): string {
    return this.state.attestation.rootCertificatePem;
  }

  get aaguidHex(): string {
    return this.state.aaguidHex;
  }

  get storePath(): string | undefined {
    return this.store.path;
  }

  /** A read-only view of the stored credentials (tests, the demo's inspection). */
  get credentials(): readonly Readonly<StoredCredential>[] {
    return this.state.credentials;
  }

  get pinRetries(): number {
    return this.state.pinRetries;
  }

  setPresence(mode: PresenceMode, settings: Partial<Omit<PresenceSettings, "mode">> = {}): void {
    Object.assign(this.presence, settings, { mode });
  }

  /**
   * Simulates unplugging and plugging the key back in: the volatile state is gone (token, key
   * agreement key, the three-wrong-PINs block, pending assertions) and the reset window opens again.
   */
  powerCycle(): void {
    this.keyAgreementKey = KeyAgreementKey.generate();
    this.token.reset();
    this.consecutivePinFailures = 0;
    this.pendingAssertions = undefined;
    this.credMgmtEnumeration = undefined;
    this.poweredUpAt = this.now();
  }

  /** Handles one CTAPHID_CBOR message: command byte + CBOR parameters → status byte + CBOR reply. */
  async handle(message: Uint8Array, ctx: CborRequestContext): Promise<Uint8Array> {
    try {
      const command = message[0];
      if (command === undefined) fail(Status.InvalidLength);
      if (message.length > this.maxMsgSize) fail(Status.InvalidLength, "message exceeds maxMsgSize");
      let params: Params;
      if (message.length > 1) {
        let decoded: ReturnType<typeof decodeStrict>;
        try {
          decoded = decodeStrict(message.subarray(1));
        } catch (err) {
          if (CborError.isInstance(err)) fail(Status.InvalidCbor, err.message);
          throw err;
        }
        params = Params.of(decoded);
      } else {
        params = Params.of(undefined);
      }
      const reply = await this.dispatch(command, params, ctx);
      if (reply === undefined) return Uint8Array.of(Status.Ok);
      const body = encodeCanonical(reply);
      const out = new Uint8Array(1 + body.length);
      out.set(body, 1);
      return out;
    } catch (err) {
      if (CtapStatusError.isInstance(err)) return Uint8Array.of(err.status);
      return Uint8Array.of(Status.Other);
    }
  }

  private dispatch(command: number, params: Params, ctx: CborRequestContext): Promise<CborValue | undefined> {
    switch (command) {
      case Command.GetInfo:
        return Promise.resolve(getInfo(this));
      case Command.ClientPin:
        return Promise.resolve(clientPin(this, params));
      case Command.MakeCredential:
        return makeCredential(this, params, ctx);
      case Command.GetAssertion:
        return getAssertion(this, params, ctx);
      case Command.GetNextAssertion:
        return Promise.resolve(getNextAssertion(this));
      case Command.Reset:
        return this.reset(ctx);
      case Command.CredentialManagement:
      case Command.CredentialManagementPreview:
        if (this.ctapVersion === "2.0") return Promise.reject(new CtapStatusError(Status.InvalidCommand));
        return Promise.resolve(credentialManagement(this, params));
      case Command.Config:
        if (this.ctapVersion === "2.0") return Promise.reject(new CtapStatusError(Status.InvalidCommand));
        return Promise.resolve(authenticatorConfig(this, params));
      case Command.Selection:
        return this.collectUserPresence(ctx).then(() => undefined);
      default:
        return Promise.reject(new CtapStatusError(Status.InvalidCommand));
    }
  }

  /** authenticatorReset (CTAP 2.1 §6.6): only within the window after power-up, and only with a touch. */
  private async reset(ctx: CborRequestContext): Promise<undefined> {
    if (this.now() - this.poweredUpAt > this.resetWindowMs) {
      fail(Status.NotAllowed, `reset is only accepted within ${this.resetWindowMs} ms of power-up`);
    }
    await this.collectUserPresence(ctx);
    this.state = {
      ...this.state,
      pin: null,
      pinRetries: MAX_PIN_RETRIES,
      minPinLength: DEFAULT_MIN_PIN_LENGTH,
      forcePinChange: false,
      credentials: [],
      // A reset disables enterprise attestation; the certificate stays the device's.
      ...(this.state.enterprise ? { enterprise: { ...this.state.enterprise, enabled: false } } : {}),
    };
    this.keyAgreementKey = KeyAgreementKey.generate();
    this.token.reset();
    this.consecutivePinFailures = 0;
    this.pendingAssertions = undefined;
    this.credMgmtEnumeration = undefined;
    this.persist();
    return undefined;
  }

  // ---- shared by the command files ----------------------------------------------------------------

  /** @internal */
  persist(): void {
    this.store.save(this.state);
  }

  /** @internal */
  collectUserPresence(ctx: CborRequestContext): Promise<void> {
    return collectUserPresence(this.presence, ctx);
  }

  /** @internal The protocol a request names; unsupported numbers are CTAP1_ERR_INVALID_PARAMETER. */
  protocol(version: number): PinUvAuthProtocol {
    if (version !== 1 && (version !== 2 || this.ctapVersion === "2.0"))
      fail(Status.InvalidParameter, "unsupported pinUvAuthProtocol");
    return pinProtocolFor(version);
  }

  /** @internal */
  get pinIsSet(): boolean {
    return this.state.pin !== null;
  }

  /** @internal Discoverable credentials, newest first. */
  discoverable(rpId?: string): StoredCredential[] {
    return this.state.credentials
      .filter((c) => c.discoverable && (rpId === undefined || c.rpId === rpId))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  /** @internal A creation timestamp that orders credentials made within the same millisecond. */
  nextCreatedAt(): number {
    this.createdCounter = (this.createdCounter + 1) % 1000;
    return this.now() + this.createdCounter / 1000;
  }
}

/** Default maxMsgSize in getInfo: larger CBOR messages are refused with CTAP1_ERR_INVALID_LENGTH. */
export const MAX_MESSAGE_SIZE = 2048;

export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** Accepts 32 hex digits or a UUID; returns lower-case hex. */
export function normaliseAaguid(value: string): string {
  const hex = value.replace(/-/g, "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error(`'${value}' is not an AAGUID (32 hex digits or a UUID)`);
  return hex;
}
