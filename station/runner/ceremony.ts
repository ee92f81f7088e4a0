// One key's ceremony, start to finish: getInfo → fit to a task's profile → reset if the operator agrees →
// claim → creationOptions → random PIN → setMinPINLength → makeCredential → markRegistering → register
// with Graph → confirm it is listed → self-test → forceChangePin → hand the PIN over → complete → label.
// Each step names itself (events, crash tests); every failure leaves through failure.ts, which decides
// what happens to the task, the key's orphan credential and any registration.

import { getCreationOptions } from "../../core/entra/fido2Methods.js";
import { registerFido2Method } from "../../core/entra/registration.js";
import { newMarkerToken, withRegistrationMarker } from "../../core/plan/keyName.js";
import type { Task, TaskResult } from "../../core/tasks/model.js";
import type { LeaseRef } from "../../core/tasks/transitions.js";
import { ClientPin, Permission } from "../ctap2/clientPin.js";
import { enableEnterpriseAttestation, setMinPinLength } from "../ctap2/config.js";
import { Ctap2 } from "../ctap2/ctap2.js";
import { CtapError, CtapStatus } from "../ctap2/errors.js";
import { type AuthenticatorInfo, getInfo } from "../ctap2/getInfo.js";
import { reset } from "../ctap2/reset.js";
import type { CallOptions } from "../ctaphid/device.js";
import type { CtapHidDevice } from "../ctaphid/hidDevice.js";
import { KeepaliveStatus } from "../ctaphid/packets.js";
import { toBase64Url } from "../webauthn/base64url.js";
import { WebAuthnError } from "../webauthn/errors.js";
import { type RegistrationOutcome, registerCredential } from "../webauthn/registration.js";
import { claimForKey } from "./claimFitting.js";
import type { RunnerContext } from "./context.js";
import type { KeyView } from "./events.js";
import { leaveCeremony } from "./failure.js";
import { attestationFingerprint, deleteKeyCredential, selfTest } from "./keyChecks.js";
import { countDiscoverable, silentLook, silentReason } from "./keyContents.js";
import type { KeyHandle } from "./keySource.js";
import { LeaseKeeper } from "./leaseKeeper.js";
import type { TaskPick } from "./operator.js";
import { findOwnRegistration, methodResult } from "./ownRegistration.js";
import { checkProfileFit, resetNeeded } from "./profileCheck.js";
import {
  type KeyMemory,
  type KeySerial,
  serialFromAttestation,
  serialMismatch,
  wantedSerials,
} from "./serialCheck.js";
import type { CeremonyStep } from "./steps.js";
import { pendingFor, pickMatches, taskView } from "./taskChoice.js";
import { refuseKey } from "./trust.js";

export type KeyOutcomeStatus = "provisioned" | "no-task" | "skipped" | "failed";

export interface KeyOutcome {
  keyId: string;
  status: KeyOutcomeStatus;
  taskId?: string;
  methodId?: string;
}

/** The mutable facts of one ceremony, which failure.ts reads to decide the way out. */
export interface CeremonyState {
  ctx: RunnerContext;
  handle: KeyHandle;
  view: KeyView;
  step: CeremonyStep;
  device?: CtapHidDevice;
  ctap?: Ctap2;
  info?: AuthenticatorInfo;
  task?: Task;
  lease?: LeaseRef;
  /** Renews the lease while the ceremony holds the task (see leaseKeeper.ts). */
  keeper?: LeaseKeeper;
  pin?: Buffer;
  credentialId?: Uint8Array;
  nonce?: string;
  /** Set once markRegistering is durable. */
  registering: boolean;
  /** Graph's method id once Graph accepted (or we recognised) the registration. */
  methodId?: string;
  /** Set once the PIN reached its delivery. */
  handedOver: boolean;
  /** The key's serial, read for a task whose slot names inventory serials. */
  serial?: KeySerial;
  /** What the station remembers about this key across its ceremonies (its serial, once read). */
  memory: KeyMemory;
  /** `pin` is the PIN on the key, set by this session's earlier ceremony (refused for a serial mismatch). */
  pinIsOurs?: boolean;
}

/** What the operator writes on the key: whose key it is and which slot. */
export function keyLabel(task: Task): string {
  return `${task.person.userPrincipalName} · ${task.slot}`;
}

/** Ceremonies one plugging may run: the first, and one after each serial it learns by a mismatch. */
const MAX_CEREMONIES = 3;

export async function provisionKey(
  ctx: RunnerContext,
  handle: KeyHandle,
  memory: KeyMemory = {},
): Promise<KeyOutcome> {
  const s: CeremonyState = {
    ctx,
    handle,
    view: { keyId: handle.id, transport: handle.transport, ...(handle.model ? { model: handle.model } : {}) },
    step: "detect",
    registering: false,
    handedOver: false,
    memory,
  };
  try {
    for (let n = 1; ; n++) {
      const knew = memory.serial?.serial;
      try {
        const out = await ceremony(s);
        if (s.pinIsOurs && out.status !== "provisioned")
          ctx.operator.event({
            type: "notice",
            keyId: s.view.keyId,
            message:
              "the key holds the PIN its refused ceremony set, and nobody holds that PIN: reset the key before it is used again",
          });
        return out;
      } catch (e) {
        const out = await leaveCeremony(s, e);
        // A serial mismatch taught the station this key's serial and handed the task back: the key's next
        // ceremony runs at once, in this session, claiming only its own slot or one that names no serial.
        // The PIN this session set stays with it (an unattended station never erases a key).
        const learned = memory.serial !== undefined && memory.serial.serial !== knew;
        if (
          !(StationRefusal.isInstance(e) && e.reason === "serial-mismatch" && learned) ||
          n >= MAX_CEREMONIES
        )
          return out;
        await nextCeremony(s);
      }
    }
  } finally {
    await s.keeper?.stop();
    s.pin?.fill(0);
    await s.device?.close().catch(() => {});
  }
}

/** Clears one ceremony's task facts for the key's next ceremony; the device, its PIN and memory stay. */
async function nextCeremony(s: CeremonyState): Promise<void> {
  await s.keeper?.stop();
  s.pinIsOurs = s.pin?.some((b) => b !== 0) === true;
  for (const k of ["keeper", "task", "lease", "credentialId", "nonce", "methodId", "serial"] as const)
    delete s[k];
  s.registering = false;
  s.handedOver = false;
  s.step = "detect";
}

function at(s: CeremonyState, step: CeremonyStep, detail?: string): void {
  s.step = step;
  // A safe point: up to Graph's acceptance, a ceremony that lost its claim stops here. After it, the
  // registration exists and only this ceremony holds its PIN, so it carries on to the handover.
  if (s.methodId === undefined) s.keeper?.assertHeld();
  const e: Parameters<RunnerContext["operator"]["event"]>[0] = { type: "step", keyId: s.view.keyId, step };
  if (s.task) e.task = taskView(s.task);
  if (detail !== undefined) e.detail = detail;
  s.ctx.operator.event(e);
}

function done(s: CeremonyState, step: CeremonyStep): void {
  if (s.ctx.crashAfter === step) process.kill(process.pid, "SIGKILL");
}

/** Call options that tell the operator, once per call, to touch the key when it asks. */
export function callOpts(s: CeremonyState): CallOptions {
  let told = false;
  return {
    timeoutMs: s.ctx.callTimeoutMs,
    onKeepalive: (status) => {
      if (status === KeepaliveStatus.UPNEEDED && !told) {
        told = true;
        s.ctx.operator.event({ type: "touch", keyId: s.view.keyId, step: s.step });
      }
    },
  };
}

async function openKey(s: CeremonyState): Promise<void> {
  await s.device?.close().catch(() => {});
  s.device = await s.handle.open({ timeoutMs: s.ctx.callTimeoutMs });
  s.ctap = new Ctap2(s.device);
  s.info = await getInfo(s.ctap, callOpts(s));
  s.view.aaguid = s.info.aaguid;
}

async function ceremony(s: CeremonyState): Promise<KeyOutcome> {
  const { ctx } = s;
  at(s, "detect");
  const refusal = refuseKey(s.handle, ctx.trust);
  if (refusal) throw new WebAuthnError("key-unsupported", refusal);
  done(s, "detect");

  at(s, "info");
  await openKey(s);
  done(s, "info");

  at(s, "check");
  const waiting = await pendingFor(ctx, s.info!);
  if (waiting.all.length === 0) {
    ctx.operator.event({ type: "notice", keyId: s.view.keyId, message: "no task is waiting" });
    return { keyId: s.view.keyId, status: "no-task" };
  }
  if (waiting.fitting.length === 0) {
    throw new WebAuthnError(
      "key-unsupported",
      `no waiting task fits this key: ${waiting.refusals[0] ?? "its profile refuses the key"}`,
    );
  }
  done(s, "check");

  // The PIN on a key this session set itself (its earlier ceremony was refused) is no sign of earlier use.
  const why = s.pinIsOurs ? undefined : (resetNeeded(s.info!) ?? (await reuseWithoutPin(s)));
  if (why !== undefined) {
    at(s, "reset", why);
    if (!(await ctx.operator.confirmReset(s.view, why)))
      throw new StationRefusal("reset-declined", `${why}; the operator did not agree to erase it`);
    await resetKey(s);
    done(s, "reset");
  }

  at(s, "claim");
  const pick: TaskPick = ctx.attended
    ? await ctx.operator.pickTask(s.view, waiting.fitting.map(taskView))
    : { kind: "next" };
  if (pick.kind === "skip") return { keyId: s.view.keyId, status: "skipped" };
  for (;;) {
    const task = await claimForKey(
      ctx,
      (t) => t.kind === "provision" && checkProfileFit(s.info!, t.profile).fits && pickMatches(t, pick),
      {
        keyId: s.view.keyId,
        selfNaming: s.info!.options.ep !== undefined,
        ...(s.memory.serial ? { known: s.memory.serial.serial } : {}),
      },
    );
    if (!task?.lease) {
      ctx.operator.event({ type: "notice", keyId: s.view.keyId, message: "no task for this key now" });
      return { keyId: s.view.keyId, status: "no-task" };
    }
    s.task = task;
    s.lease = { stationId: task.lease.stationId, claimId: task.lease.claimId };
    // A predecessor (a crashed station, an expired lease) may have registered already: never twice.
    if (task.registration && (await completeFromPredecessor(s))) continue;
    break;
  }
  s.keeper = new LeaseKeeper(ctx.store, s.task!.id, s.lease!, ctx.leaseMs, s.task!.lease!.expiresAt).start();
  at(s, "claim");
  done(s, "claim");
  const task = s.task!;
  const fit = checkProfileFit(s.info!, task.profile, s.view.model);
  for (const note of fit.notes) ctx.operator.event({ type: "notice", keyId: s.view.keyId, message: note });
  // A key with enterprise attestation names its own serial at makeCredential; any other needs its label.
  const serialWanted = wantedSerials(task) !== undefined;
  let fromAttestation = serialWanted && s.info!.options.ep !== undefined;
  if (serialWanted && !fromAttestation) await serialFromLabel(s);

  const pins = () => new ClientPin(s.ctap!, s.info!);
  const setNewPin = async (): Promise<Buffer> => {
    at(s, "set-pin");
    const pin = ctx.generatePin(fit.pinLength);
    const change = s.pinIsOurs === true && s.pin !== undefined;
    if (change) {
      // The key holds the PIN this session set for the task it was refused: changed, not set.
      try {
        await pins().changePin(s.pin!, pin, callOpts(s));
      } catch (e) {
        pin.fill(0);
        throw e;
      }
      s.pinIsOurs = false;
    }
    s.pin?.fill(0);
    s.pin = pin;
    if (!change) await pins().setPin(pin, callOpts(s));
    s.info = await getInfo(s.ctap!, callOpts(s));
    done(s, "set-pin");
    return pin;
  };
  s.pin = await setNewPin();
  // Only now can credential management count what the key holds: credProtect 2 and 3 credentials hide
  // from the silent look a key without a PIN allows (keyContents.ts).
  const held = await countDiscoverable(s).catch((e: unknown) => {
    if (!CtapError.isInstance(e)) throw e;
    ctx.operator.event({
      type: "notice",
      keyId: s.view.keyId,
      message: `the key would not count the credentials it holds (${e.message}); carrying on`,
    });
    return undefined;
  });
  if (held !== undefined && held > 0) {
    const heldWhy = `the key holds ${held} discoverable credential${held === 1 ? "" : "s"} though it had no PIN: it was used before`;
    at(s, "reset", heldWhy);
    if (!(await ctx.operator.confirmReset(s.view, heldWhy)))
      throw new StationRefusal(
        "reset-declined",
        `${heldWhy}; the operator did not agree to erase it. The station's PIN is on the key now and nobody holds it: reset the key before it is used again`,
      );
    await resetKey(s);
    done(s, "reset");
    s.pin = await setNewPin();
  }

  if (fromAttestation && s.info!.options.ep === false) {
    const token = await pins().getToken(s.pin, { permissions: Permission.AUTHENTICATOR_CONFIG }, callOpts(s));
    try {
      await enableEnterpriseAttestation(s.ctap!, token, callOpts(s));
      s.info = await getInfo(s.ctap!, callOpts(s));
    } catch (e) {
      ctx.operator.event({
        type: "notice",
        keyId: s.view.keyId,
        message: `the key would not enable enterprise attestation (${(e as Error).message}); its label decides the serial`,
      });
      fromAttestation = false;
    } finally {
      token.dispose();
    }
    if (!fromAttestation) await serialFromLabel(s);
  }

  if (fit.canSetMinPinLength && task.profile.pinLength > s.info!.minPINLength) {
    at(s, "min-pin-length");
    const token = await pins().getToken(s.pin, { permissions: Permission.AUTHENTICATOR_CONFIG }, callOpts(s));
    try {
      await setMinPinLength(s.ctap!, token, { newMinPINLength: task.profile.pinLength }, callOpts(s));
    } finally {
      token.dispose();
    }
    s.info = await getInfo(s.ctap!, callOpts(s));
    done(s, "min-pin-length");
  }

  // The registration marker and its room in the 30 characters are core's (core/plan/keyName.ts): the plan
  // renders names short enough for it, and recognition looks for exactly this token.
  s.nonce = newMarkerToken();
  const displayName = withRegistrationMarker(task.profile.displayName, s.nonce);
  let made: RegistrationOutcome | undefined;
  let methodId: string | undefined;
  for (let attempt = 1; methodId === undefined; attempt++) {
    at(s, "options");
    const options = await getCreationOptions(ctx.entra, task.person.objectId);
    done(s, "options");

    at(s, "make-credential");
    made = await registerCredential({
      ctap: s.ctap!,
      creationOptions: options,
      pin: s.pin,
      displayName,
      info: s.info!,
      call: callOpts(s),
      ...(fromAttestation ? { enterpriseAttestation: 2 as const } : {}),
    });
    s.credentialId = made.credentialId;
    if (fromAttestation && !s.serial) {
      const serial = serialFromAttestation(made);
      if (serial === undefined) {
        ctx.operator.event({
          type: "notice",
          keyId: s.view.keyId,
          message: "the key's attestation names no serial; its label decides the serial",
        });
        await serialFromLabel(s);
      } else checkSerial(s, { serial, source: "enterprise-attestation" });
    }
    done(s, "make-credential");

    at(s, "registering");
    s.task = await ctx.store.markRegistering(task.id, s.lease!, {
      credentialId: toBase64Url(made.credentialId),
      nonce: s.nonce,
    });
    s.registering = true;
    done(s, "registering");

    at(s, "register");
    try {
      const r = await registerFido2Method(ctx.entra, {
        userId: task.person.objectId,
        displayName,
        nonce: s.nonce,
        credentialId: made.credentialId,
        publicKeyCredential: made.body.publicKeyCredential,
      });
      methodId = r.method.id;
      if (r.recovered)
        ctx.operator.event({
          type: "notice",
          keyId: s.view.keyId,
          taskId: task.id,
          message: "Graph's answer was lost; the registration was found in Entra, not repeated",
        });
    } catch (e) {
      // A challenge that expired while the operator was busy: fresh options, a fresh credential, once.
      if (attempt === 1 && challengeExpired(e)) {
        ctx.operator.event({
          type: "notice",
          keyId: s.view.keyId,
          taskId: task.id,
          message: "the challenge expired; fetching new creation options",
        });
        await deleteKeyCredential(s, made.credentialId);
        s.credentialId = undefined;
        continue;
      }
      throw e;
    }
  }
  s.methodId = methodId;
  done(s, "register");

  at(s, "confirm");
  const own = await findOwnRegistration(ctx.entra, task.person.objectId, made!.credentialId, s.nonce);
  if (!own) throw new StationRefusal("not-listed", "Graph accepted the key but does not list it");
  done(s, "confirm");

  at(s, "self-test");
  await selfTest(s, made!);
  done(s, "self-test");

  const forced = task.profile.forceChangePin && fit.canSetMinPinLength;
  if (forced) {
    at(s, "force-change-pin");
    const token = await pins().getToken(s.pin, { permissions: Permission.AUTHENTICATOR_CONFIG }, callOpts(s));
    try {
      await setMinPinLength(s.ctap!, token, { forceChangePin: true }, callOpts(s));
    } finally {
      token.dispose();
    }
    done(s, "force-change-pin");
  }

  // The PIN is handed over before the task is completed, so a task is never done with a PIN nobody holds.
  at(s, "handover");
  const label = keyLabel(task);
  const receipt = await ctx.delivery.deliver({
    person: { userPrincipalName: task.person.userPrincipalName },
    keyLabel: `${task.slot}`,
    model: s.view.model ?? own.model ?? s.info!.aaguid,
    pin: s.pin,
    pinChangeRequired: forced,
  });
  s.handedOver = true;
  s.pin.fill(0);
  done(s, "handover");

  at(s, "complete");
  const result: TaskResult = {
    ...methodResult(own, made!.credentialId, made!.aaguid),
    ...attestationFingerprint(made!),
    ...(s.serial ? { serial: s.serial.serial, serialSource: s.serial.source } : {}),
  };
  s.task = await ctx.store.complete(task.id, s.lease!, result, ctx.stationKey);
  done(s, "complete");

  at(s, "label");
  ctx.operator.event({
    type: "provisioned",
    keyId: s.view.keyId,
    task: taskView(task),
    methodId,
    label,
    delivery: receipt.location ? { kind: receipt.kind, location: receipt.location } : { kind: receipt.kind },
  });
  done(s, "label");
  return { keyId: s.view.keyId, status: "provisioned", taskId: task.id, methodId };
}

/** A refusal of the station's own (not the key's, not Graph's): reset declined, method not listed. */
export class StationRefusal extends Error {
  readonly brand = "keyfleet.StationRefusal";
  static isInstance(e: unknown): e is StationRefusal {
    return (
      typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.StationRefusal"
    );
  }
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "StationRefusal";
  }
}

function challengeExpired(e: unknown): boolean {
  const err = e as { brand?: unknown; kind?: unknown; message?: unknown };
  return (
    err?.brand === "keyfleet.EntraError" &&
    err.kind === "BadRequest" &&
    typeof err.message === "string" &&
    /challenge/i.test(err.message) &&
    /expire/i.test(err.message)
  );
}

/** The serial on the key's label, from the operator; refused when there is none or it is another key's. */
async function serialFromLabel(s: CeremonyState): Promise<void> {
  const task = s.task!;
  const scanned = s.ctx.attended ? await s.ctx.operator.readSerial(s.view, taskView(task)) : undefined;
  if (scanned === undefined)
    throw new StationRefusal(
      "serial-unknown",
      `the slot ${task.person.userPrincipalName} · ${task.slot} takes inventory serial ${wantedSerials(task)!.join(" or ")}; this key offers no enterprise attestation${s.ctx.attended ? " and no label serial was given" : ", and an unattended station cannot read its label"}`,
    );
  checkSerial(s, { serial: scanned.trim(), source: "label" });
}

function checkSerial(s: CeremonyState, read: KeySerial): void {
  s.memory.serial = read;
  const mismatch = serialMismatch(s.task!, read);
  if (mismatch) throw new StationRefusal("serial-mismatch", mismatch);
  s.serial = read;
  s.ctx.operator.event({
    type: "notice",
    keyId: s.view.keyId,
    taskId: s.task!.id,
    message: `serial ${read.serial} (${read.source}) is the slot's inventory key`,
  });
}

/** Looks for credentials on a key without a PIN (what the key reveals); says so when it cannot tell. */
async function reuseWithoutPin(s: CeremonyState): Promise<string | undefined> {
  const look = await silentLook(s);
  if (look.unanswered.length > 0)
    s.ctx.operator.event({
      type: "notice",
      keyId: s.view.keyId,
      message: `the key would not say without a PIN whether it holds credentials for ${look.unanswered.join(", ")}`,
    });
  return silentReason(look);
}

/** Reset with the replug it may need: keys accept one only within about 10 s of power-up. */
async function resetKey(s: CeremonyState): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await reset(s.ctap!, { ...callOpts(s), timeoutMs: Math.max(s.ctx.callTimeoutMs, 30_000) });
      s.info = await getInfo(s.ctap!, callOpts(s));
      return;
    } catch (e) {
      if (!(CtapError.isInstance(e) && e.status === CtapStatus.NOT_ALLOWED) || attempt >= 3) throw e;
      s.ctx.operator.event({
        type: "notice",
        keyId: s.view.keyId,
        message:
          "the key refused the reset: keys accept one only within about 10 seconds of being plugged in. Unplug it, plug it back in, then touch it when it blinks",
      });
      if (!(await s.ctx.operator.replug(s.view)))
        throw new StationRefusal("reset-not-allowed", "the key was not replugged in time for a reset");
      await openKey(s);
    }
  }
}

/** The task carries a predecessor's registration: complete it from Entra when it is there. */
async function completeFromPredecessor(s: CeremonyState): Promise<boolean> {
  const { ctx } = s;
  const task = s.task!;
  const reg = task.registration!;
  const own = await findOwnRegistration(ctx.entra, task.person.objectId, reg.credentialId, reg.nonce);
  if (!own) return false;
  await ctx.store.complete(task.id, s.lease!, methodResult(own, reg.credentialId), ctx.stationKey);
  ctx.operator.event({
    type: "recovered",
    taskId: task.id,
    outcome: "completed",
    detail: `registered earlier by ${reg.stationId} (method ${own.id}); not registered again`,
  });
  s.task = undefined;
  s.lease = undefined;
  return true;
}
