import { eq } from 'drizzle-orm';
import { recordAudit, recordFoldedRefusal } from '../../db/audit';
import type { AppDatabase } from '../../db/connection';
import { findEidHolder, registerMobileEid } from '../../db/eids';
import { forUpdate } from '../../db/engine';
import { newId } from '../../db/ids';
import { countActiveMobileDevices, findMobileDevice, insertMobileDevice } from '../../db/mobile-devices';
import {
  claimMobileEnrolment,
  createMobileEnrolment,
  findCardOfSession,
  findMobileEnrolment,
  findMobileEnrolmentByToken,
  type MobileEnrolmentRow,
} from '../../db/mobile-enrolments';
import { findPersonById } from '../../db/persons';
import { persons } from '../../db/schema';
import { mobileEnrolmentMessage } from '../../protocol/mobile-siths';
import type { Pki } from '../pki/types';
import { parseDevicePublicKey, verifyDeviceSignature } from './auth-orders';
import { hashDeviceCode } from './device-code';
import { enrolmentQrContent } from './qr-code';
import { type MobileSithsRefusal, mobileSithsRefusals } from './refusals';

/** "Hämta Mobilt SITHS": the enrolment QR code is valid 15 minutes, once. */
export const enrolmentTtlMs = 15 * 60_000;
/** Active Mobile SITHS per person (locked devices count: they are still active eIDs). */
export const maxActiveMobileDevices = 3;

export interface EnrollingUser {
  userId: string;
  sessionId: string;
  personId: string;
  displayName: string;
  loginMethod: string;
}

type Refused = { ok: false; refusal: MobileSithsRefusal };

export type StartedEnrolment =
  | { ok: true; enrolmentId: string; qrContent: string; expiresAt: Date }
  | Refused;

/** Whether the user may fetch a Mobile SITHS now: a card login, and fewer than three active devices. */
export async function enrolmentBlocker(
  db: AppDatabase,
  user: EnrollingUser,
): Promise<MobileSithsRefusal | undefined> {
  if (user.loginMethod !== 'card' || !(await findCardOfSession(db, user.sessionId)))
    return 'card_login_required';
  if ((await countActiveMobileDevices(db, user.personId)) >= maxActiveMobileDevices)
    return 'too_many_devices';
  return undefined;
}

/** A single-use enrolment QR for the card-logged-in user. */
export async function startMobileEnrolment(
  db: AppDatabase,
  user: EnrollingUser,
  input: { address: string; now: Date },
): Promise<StartedEnrolment> {
  const blocker = await enrolmentBlocker(db, user);
  const audit = (outcome: 'success' | 'refused', objectId: string, detail: Record<string, unknown>) =>
    recordAudit(db, {
      actorUserId: user.userId,
      actorLabel: user.displayName,
      action: 'mobile_enrol_start',
      objectType: outcome === 'success' ? 'mobile_enrolment' : 'person',
      objectId,
      outcome,
      detail: { ...detail, personId: user.personId, clientAddress: input.address },
    });
  if (blocker) {
    await audit('refused', user.personId, { reason: blocker });
    return { ok: false, refusal: blocker };
  }
  const enrolment = await createMobileEnrolment(
    db,
    { personId: user.personId, sessionId: user.sessionId, ttlMs: enrolmentTtlMs },
    input.now,
  );
  await audit('success', enrolment.enrolmentId, { expiresAt: enrolment.expiresAt.toISOString() });
  return {
    ok: true,
    enrolmentId: enrolment.enrolmentId,
    qrContent: enrolmentQrContent(enrolment.token),
    expiresAt: enrolment.expiresAt,
  };
}

export type EnrolmentStatus =
  | { state: 'waiting'; secondsLeft: number }
  | { state: 'done'; deviceName: string }
  | { state: 'expired' };

/** The state of the user's own enrolment (started in this session), for the page waiting on the phone. */
export async function enrolmentStatus(
  db: AppDatabase,
  enrolmentId: string,
  owner: { personId: string; sessionId: string },
  now: Date,
): Promise<EnrolmentStatus | undefined> {
  const enrolment = await findMobileEnrolment(db, enrolmentId);
  if (!enrolment || enrolment.personId !== owner.personId || enrolment.sessionId !== owner.sessionId) {
    return undefined;
  }
  if (enrolment.usedAt && enrolment.mobileDeviceId) {
    return { state: 'done', deviceName: (await findMobileDevice(db, enrolment.mobileDeviceId))?.name ?? '' };
  }
  if (enrolment.expiresAt <= now) return { state: 'expired' };
  return { state: 'waiting', secondsLeft: Math.ceil((enrolment.expiresAt.getTime() - now.getTime()) / 1000) };
}

/** Refusal for an enrolment token read from a QR code, or undefined while it can still be used. */
function enrolmentTokenProblem(
  enrolment: MobileEnrolmentRow | undefined,
  now: Date,
): MobileSithsRefusal | undefined {
  if (!enrolment) return 'enrolment_invalid';
  if (enrolment.usedAt) return 'enrolment_used';
  if (enrolment.expiresAt <= now) return 'enrolment_expired';
  return undefined;
}

/** The phone read an enrolment QR: may it go on and register? (Nothing is used up yet.) */
export async function checkEnrolmentToken(
  db: AppDatabase,
  input: { token: string; address: string; now: Date },
): Promise<{ ok: true; expiresAt: Date } | Refused> {
  const enrolment = await findMobileEnrolmentByToken(db, input.token);
  const problem = enrolmentTokenProblem(enrolment, input.now);
  if (problem || !enrolment) {
    await auditRegistration(db, {
      refusal: problem ?? 'enrolment_invalid',
      enrolment,
      address: input.address,
    });
    return { ok: false, refusal: problem ?? 'enrolment_invalid' };
  }
  return { ok: true, expiresAt: enrolment.expiresAt };
}

/** What the phone proves possession of its new key with: its signature over this (UTF-8). */
export function enrolmentSignedMessage(token: string): Buffer {
  return Buffer.from(mobileEnrolmentMessage(token), 'utf8');
}

export interface RegisterDeviceInput {
  token: string;
  deviceName: string;
  /** SubjectPublicKeyInfo DER of the device's new ECDSA P-256 key. */
  publicKeySpki: Buffer;
  /** The Mobile SITHS code the user chose, 6-8 digits (checked by the caller's schema). */
  code: string;
  /** ECDSA P-256 / SHA-256, IEEE P1363, over `enrolmentSignedMessage(token)` with the new key. */
  signature: Buffer;
  address: string;
  now: Date;
}

export type RegisteredDevice =
  | {
      ok: true;
      deviceId: string;
      deviceName: string;
      certificatePem: string;
      trustLevel: 2 | 3;
      validTo: Date;
      holderName: string;
    }
  | Refused;

/**
 * Registers the phone of an enrolment: token unused and unexpired, the card login that started it still
 * on, the key proven, fewer than three active devices. The certificate's trust level is the card's (3 for a
 * trust-level-3 card, else 2). Device, eID and the used enrolment are written in one transaction, which
 * checks the token and the device limit again with the person locked, so two phones racing for one token or for the third place
 * cannot both win; a certificate issued for the loser is never registered and so never validates.
 */
export async function registerMobileDevice(
  deps: { db: AppDatabase; pki: Pki; isSessionActive: (sessionId: string) => Promise<boolean> },
  input: RegisterDeviceInput,
): Promise<RegisteredDevice> {
  const { db } = deps;
  const enrolment = await findMobileEnrolmentByToken(db, input.token);
  const refuse = async (
    refusal: MobileSithsRefusal,
    detail: Record<string, unknown> = {},
  ): Promise<Refused> => {
    await auditRegistration(db, { refusal, enrolment, address: input.address, detail });
    return { ok: false, refusal };
  };
  const problem = enrolmentTokenProblem(enrolment, input.now);
  if (problem || !enrolment) return await refuse(problem ?? 'enrolment_invalid');
  if (!(await deps.isSessionActive(enrolment.sessionId))) return await refuse('session_ended');
  const card = await findCardOfSession(db, enrolment.sessionId);
  if (!card) return await refuse('card_login_required');
  const publicKey = parseDevicePublicKey(input.publicKeySpki);
  if (!publicKey) return await refuse('bad_key');
  if (!verifyDeviceSignature(publicKey, enrolmentSignedMessage(input.token), input.signature)) {
    return await refuse('bad_signature');
  }
  if ((await countActiveMobileDevices(db, enrolment.personId)) >= maxActiveMobileDevices)
    return await refuse('too_many_devices');
  const holder = await findEidHolder(db, enrolment.personId);
  if (!holder) return await refuse('no_holder');

  const trustLevel: 2 | 3 = card.trustLevel === 3 ? 3 : 2;
  const deviceId = newId();
  const codeHash = await hashDeviceCode(input.code);
  const certificate = await deps.pki.issueMobileCertificate({
    holder,
    deviceId,
    deviceName: input.deviceName,
    trustLevel,
    publicKey,
    validTo: card.validTo,
  });
  let outcome: MobileSithsRefusal | undefined;
  try {
    await db.transaction(async (tx) => {
      // Held to the end: another phone's registration for this person counts after this one has written.
      await forUpdate(
        tx,
        tx.select({ id: persons.id }).from(persons).where(eq(persons.id, enrolment.personId)),
      );
      if ((await countActiveMobileDevices(tx, enrolment.personId)) >= maxActiveMobileDevices) {
        outcome = 'too_many_devices';
        return;
      }
      await insertMobileDevice(tx, {
        id: deviceId,
        personId: enrolment.personId,
        name: input.deviceName,
        publicKeySpki: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        trustLevel,
        validTo: certificate.validTo,
        codeHash,
        createdAt: input.now,
      });
      if (!(await claimMobileEnrolment(tx, enrolment.id, deviceId, input.now))) throw new EnrolmentTaken();
      await registerMobileEid(tx, {
        personId: enrolment.personId,
        mobileDeviceId: deviceId,
        trustLevel,
        certificate,
        at: input.now,
      });
    });
  } catch (error) {
    if (!(error instanceof EnrolmentTaken)) throw error;
    outcome = 'enrolment_used';
  }
  if (outcome) return await refuse(outcome);
  await recordAudit(db, {
    actorUserId: null,
    actorLabel: holder.hsaId,
    action: 'mobile_enrol',
    objectType: 'mobile_device',
    objectId: deviceId,
    outcome: 'success',
    detail: {
      personId: enrolment.personId,
      enrolmentId: enrolment.id,
      deviceName: input.deviceName,
      trustLevel,
      cardSerial: card.cardSerial,
      certificateSerial: certificate.serialNumber,
      issuingCa: certificate.issuingCa,
      clientAddress: input.address,
    },
  });
  return {
    ok: true,
    deviceId,
    deviceName: input.deviceName,
    certificatePem: certificate.pem,
    trustLevel,
    validTo: certificate.validTo,
    holderName: `${holder.givenName} ${holder.surname}`,
  };
}

/** Another phone used the token between the checks and the transaction. */
class EnrolmentTaken extends Error {}

async function auditRegistration(
  db: AppDatabase,
  input: {
    refusal: MobileSithsRefusal;
    enrolment: MobileEnrolmentRow | undefined;
    address: string;
    detail?: Record<string, unknown>;
  },
): Promise<void> {
  const person = input.enrolment ? await findPersonById(db, input.enrolment.personId) : undefined;
  await recordFoldedRefusal(db, {
    actorUserId: null,
    actorLabel: person?.hsaId ?? 'mobilt-siths',
    action: 'mobile_enrol',
    objectType: input.enrolment ? 'mobile_enrolment' : 'client_address',
    objectId: input.enrolment?.id ?? input.address,
    detail: {
      ...input.detail,
      reason: input.refusal,
      description: mobileSithsRefusals[input.refusal],
      clientAddress: input.address,
      ...(person ? { personId: person.id } : {}),
    },
  });
}
