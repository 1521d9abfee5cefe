import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { recordAudit } from '../../db/audit';
import {
  type AuthOrderRow,
  completeAuthOrder,
  createAuthOrder,
  failAuthOrder,
  findAuthOrder,
  findAuthOrderByQrStartToken,
  isAuthOrderOpen,
  markAuthOrderScanned,
  type NewAuthOrder,
} from '../../db/auth-orders';
import type { AppDatabase } from '../../db/connection';
import {
  findActiveDeviceCertificate,
  findMobileDevice,
  type MobileDeviceRow,
  recordWrongDeviceCode,
  resetWrongDeviceCodes,
} from '../../db/mobile-devices';
import { findPersonById } from '../../db/persons';
import { mobileAuthMessage } from '../../protocol/mobile-siths';
import {
  checkLoginAllowed,
  type LoginAction,
  type LoginAllowance,
  recordFailedLogin,
  recordRateLimitedLogin,
  recordRefusedLogin,
} from '../auth/login-limits';
import type { Pki } from '../pki/types';
import { maxWrongDeviceCodes, verifyDeviceCode } from './device-code';
import { checkLoginQr, loginQrContent, parseQrContent } from './qr-code';
import { type MobileSithsRefusal, mobileSithsRefusals } from './refusals';

export type MobileAuthPurpose = 'login' | 'unlock_reauth' | 'sign_decision';

/** A Mobile SITHS order lives two minutes, as the login page tells the user. */
export const mobileAuthOrderTtlMs = 2 * 60_000;

/** Makes a decision's statement from the order's id, as createAuthOrder calls it. */
export type StatementFor = NonNullable<NewAuthOrder['statementFor']>;

export type StartMobileAuthOrderInput = { remoteAddress: string; now: Date } & (
  | { purpose: 'login'; expectedPersonId?: undefined; sessionId?: null; statementFor?: undefined }
  | { purpose: 'unlock_reauth'; expectedPersonId: string; sessionId: string; statementFor?: undefined }
  | {
      purpose: 'sign_decision';
      /** The decider: only a device of theirs may sign. */
      expectedPersonId: string;
      /** The staff session that started the order: only it may follow it. */
      sessionId: string;
      /** The text the decider reads on the phone and signs, made from the order's id (see createAuthOrder). */
      statementFor: StatementFor;
    }
);

export interface StartedMobileAuthOrder {
  orderId: string;
  /** For the starting browser's cookie (authOrderCookieHeader); a login is collected with it. */
  collectSecret: string;
  expiresAt: Date;
}

/**
 * A new Mobile SITHS order; a re-authentication or a decision to sign can only be completed by a device of
 * `expectedPersonId`. A decision's statement must be non-empty and in Unicode NFC (else this throws).
 */
export async function startMobileAuthOrder(
  db: AppDatabase,
  input: StartMobileAuthOrderInput,
): Promise<StartedMobileAuthOrder> {
  const started = await createAuthOrder(
    db,
    {
      purpose: input.purpose,
      method: 'mobile_siths',
      expectedPersonId: input.expectedPersonId ?? null,
      sessionId: input.sessionId ?? null,
      remoteAddress: input.remoteAddress,
      ttlMs: mobileAuthOrderTtlMs,
      ...(input.statementFor ? { statementFor: checkedStatement(input.statementFor) } : {}),
    },
    input.now,
  );
  return {
    orderId: started.orderId,
    collectSecret: started.collectSecret,
    expiresAt: new Date(input.now.getTime() + mobileAuthOrderTtlMs),
  };
}

/**
 * The phone signs a statement as its UTF-8 bytes. Text that is not in NFC is refused rather than normalised:
 * the same visible text in another normal form is other bytes, and a signature of it would not verify for
 * whoever checks it against the text as they see it.
 */
function checkedStatement(statementFor: StatementFor): StatementFor {
  return (...made) => {
    const statement = statementFor(...made);
    if (statement.trim() === '' || statement.normalize('NFC') !== statement) {
      throw new RangeError('a decision statement must be non-empty text in Unicode NFC');
    }
    return statement;
  };
}

/** A Mobile SITHS order the phone can take part in: a login, a re-authentication, or a statement to sign. */
export function isMobileAuthOrder(order: AuthOrderRow): boolean {
  if (order.method !== 'mobile_siths') return false;
  if (order.purpose === 'sign_decision') return !!order.statement && !!order.expectedPersonId;
  return order.purpose === 'login' || order.purpose === 'unlock_reauth';
}

/** What the browser showing the QR code polls for. */
export type MobileAuthOrderStatus =
  | { state: 'pending'; qrContent: string; secondsLeft: number }
  | { state: 'scanned'; secondsLeft: number }
  | { state: 'completed' }
  | { state: 'failed'; refusal: string }
  | { state: 'expired' | 'cancelled' | 'collected' };

export function mobileAuthOrderStatus(order: AuthOrderRow, now: Date): MobileAuthOrderStatus {
  const secondsLeft = Math.max(0, Math.ceil((order.expiresAt.getTime() - now.getTime()) / 1000));
  switch (order.state) {
    case 'pending':
    case 'scanned':
      if (!isAuthOrderOpen(order, now)) return { state: 'expired' };
      if (order.state === 'scanned') return { state: 'scanned', secondsLeft };
      return { state: 'pending', qrContent: loginQrContent(qrKeyOf(order), now), secondsLeft };
    case 'failed':
      return { state: 'failed', refusal: order.errorCode ?? 'order_closed' };
    case 'completed':
    case 'expired':
    case 'cancelled':
    case 'collected':
      return { state: order.state };
  }
}

function qrKeyOf(order: AuthOrderRow) {
  return {
    qrStartToken: order.qrStartToken ?? '',
    qrStartSecret: order.qrStartSecret ?? '',
    createdAt: order.createdAt,
  };
}

/** What signing proves: the device saw this order's challenge (UTF-8 of the string). */
export function mobileAuthSignedMessage(orderId: string, challenge: string): Buffer {
  return Buffer.from(mobileAuthMessage(orderId, challenge), 'utf8');
}

/**
 * What the phone must have signed for `order`: a decision's statement itself, the server's stored text as
 * UTF-8 (so the signature verifies outside siths-desk against the text), else the order's challenge.
 */
export function mobileSignedMessage(
  order: Pick<AuthOrderRow, 'id' | 'purpose' | 'challenge' | 'statement'>,
): Buffer {
  if (order.purpose !== 'sign_decision') return mobileAuthSignedMessage(order.id, order.challenge);
  if (!order.statement) throw new RangeError(`sign_decision order ${order.id} has no statement`);
  return Buffer.from(order.statement, 'utf8');
}

export type Refused = {
  ok: false;
  refusal: MobileSithsRefusal;
  attemptsLeft?: number;
  /** With `rate_limited`: how long to wait before the next attempt. */
  retryAfterSeconds?: number;
};

/** The limits made this attempt wait; the order stays open, so the phone may try again after the wait. */
const waitRefusal = (allowed: Exclude<LoginAllowance, { ok: true }>): Refused => ({
  ok: false,
  refusal: 'rate_limited',
  retryAfterSeconds: allowed.retryAfterSeconds,
});

/** A login or re-authentication: the phone signs the challenge. A decision: the phone shows and signs the statement. */
export type ScanResult =
  | { ok: true; kind: 'login'; orderId: string; challenge: string; purpose: 'login' | 'unlock_reauth' }
  | { ok: true; kind: 'sign'; orderId: string; purpose: 'sign_decision'; statement: string }
  | Refused;

const scanAction = 'mobile_siths_scan';
/** The login limits count failures by person and address whatever the action: a signature counts like a login. */
const signDecisionAction: LoginAction = 'sign_decision_mobile_siths';
const signAction = (order: AuthOrderRow): LoginAction => {
  if (order.purpose === 'sign_decision') return signDecisionAction;
  return order.purpose === 'unlock_reauth' ? 'reauth_mobile_siths' : 'login_mobile_siths';
};

function scannedAnswer(order: AuthOrderRow): ScanResult {
  if (order.purpose === 'sign_decision') {
    return {
      ok: true,
      kind: 'sign',
      orderId: order.id,
      purpose: 'sign_decision',
      statement: order.statement ?? '',
    };
  }
  return {
    ok: true,
    kind: 'login',
    orderId: order.id,
    challenge: order.challenge,
    purpose: order.purpose === 'unlock_reauth' ? 'unlock_reauth' : 'login',
  };
}

/**
 * The phone read a login QR code: the code must be this second's (give or take `qrTimeWindow`), for an open
 * order nobody has scanned yet; the order is then taken by this device. A second scan is a replay. A decision
 * to sign is taken only by a device of the decider, and only then is its statement handed to the phone.
 */
export async function scanLoginQr(
  db: AppDatabase,
  input: { content: string; deviceId: string; address: string; now: Date },
): Promise<ScanResult> {
  const refuse = async (
    refusal: MobileSithsRefusal,
    context: { order?: AuthOrderRow; device?: MobileDeviceRow; failedAttempt?: boolean },
  ) => {
    const record = context.failedAttempt ? recordFailedLogin : recordRefusedLogin;
    await record(db, {
      action: scanAction,
      actorLabel: await actorLabelOf(db, context.device?.personId),
      reason: refusal,
      address: input.address,
      personId: context.device?.personId ?? null,
      objectType: context.order ? 'auth_order' : 'mobile_device',
      objectId: context.order?.id ?? input.deviceId,
      detail: { mobileDeviceId: input.deviceId },
    });
    if (context.order && failsOrder(refusal)) await failOrder(db, context.order.id, refusal, input.now);
    return { ok: false as const, refusal };
  };
  const allowed = await checkLoginAllowed(db, { address: input.address }, input.now);
  if (!allowed.ok) {
    await recordRateLimitedLogin(db, {
      method: 'mobile_siths',
      reason: allowed.reason,
      address: input.address,
    });
    return waitRefusal(allowed);
  }
  const scanned = parseQrContent(input.content);
  if (scanned?.kind !== 'login') return await refuse('invalid_qr', {});
  const order = await findAuthOrderByQrStartToken(db, scanned.qrStartToken);
  if (!order || !isMobileAuthOrder(order) || !order.qrStartSecret) return await refuse('invalid_qr', {});
  const qr = checkLoginQr(qrKeyOf(order), scanned, input.now);
  // A wrong authentication code for a real order is a forged QR code: a failed attempt. A stale one is an
  // old picture of the screen, which an honest user can hold up too.
  if (!qr.ok) {
    return qr.reason === 'bad_auth_code'
      ? await refuse('invalid_qr', { order, failedAttempt: true })
      : await refuse('stale_qr', { order });
  }
  if (order.state !== 'pending') {
    return await refuse(order.state === 'scanned' ? 'order_used' : 'order_closed', { order });
  }
  if (!isAuthOrderOpen(order, input.now)) return await refuse('order_expired', { order });
  const device = await findMobileDevice(db, input.deviceId);
  if (!device) return await refuse('unknown_device', { order });
  if (device.state !== 'active') return await refuse('device_revoked', { order, device });
  if (device.failedCodeAttempts >= maxWrongDeviceCodes)
    return await refuse('device_locked', { order, device });
  if (order.purpose === 'sign_decision' && order.expectedPersonId !== device.personId)
    return await refuse('wrong_person', { order, device });
  if (!(await markAuthOrderScanned(db, order.id, { mobileDeviceId: device.id }))) {
    return await refuse('order_used', { order, device });
  }
  await recordAudit(db, {
    actorUserId: null,
    actorLabel: await actorLabelOf(db, device.personId),
    action: scanAction,
    objectType: 'mobile_device',
    objectId: device.id,
    outcome: 'success',
    detail: { authOrderId: order.id, purpose: order.purpose, clientAddress: input.address },
  });
  return scannedAnswer(order);
}

/** Refusals that end the order (the browser shows them); the others let the right phone still try. */
function failsOrder(refusal: MobileSithsRefusal): boolean {
  return !['invalid_qr', 'stale_qr', 'order_used', 'order_closed', 'unknown_device', 'wrong_code'].includes(
    refusal,
  );
}

async function failOrder(
  db: AppDatabase,
  orderId: string,
  refusal: MobileSithsRefusal,
  now: Date,
): Promise<void> {
  await failAuthOrder(db, orderId, { code: refusal, message: mobileSithsRefusals[refusal] }, now);
}

async function actorLabelOf(db: AppDatabase, personId: string | null | undefined): Promise<string> {
  const person = personId ? await findPersonById(db, personId) : undefined;
  return person?.hsaId ?? 'mobilt-siths';
}

export type SignResult = { ok: true; purpose: MobileAuthPurpose; personId: string } | Refused;

export interface SignInput {
  orderId: string;
  deviceId: string;
  /** The user's Mobile SITHS code, 6-8 digits (checked by the caller's schema). */
  code: string;
  /** ECDSA P-256 over SHA-256 of `mobileSignedMessage(order)`, IEEE P1363 (r | s), as WebCrypto makes it. */
  signature: Buffer;
  address: string;
  now: Date;
}

/**
 * The phone signs the scanned order's challenge (a decision: its statement, as the server stored it, never a
 * text the phone sends) after the user's code. Checked in this order: the order is open and was scanned by
 * this device; the device is active; rate limits; its certificate is valid (PKI); the signature verifies with
 * the certificate's key (so only the device holder reaches the code check and can spend code attempts); the
 * device is not locked; the code; the device's holder is the expected person. A wrong code leaves the order
 * open for another try; the fifth wrong code in a row locks the device. Locked means: the device and its eID
 * stay as they are (not revoked: that is staff's decision, with a reason), but every scan and signature is
 * refused until the user fetches a new Mobile SITHS with their card or support revokes it.
 */
export async function signMobileAuthOrder(
  deps: { db: AppDatabase; pki: Pki },
  input: SignInput,
): Promise<SignResult> {
  const { db } = deps;
  const order = await findAuthOrder(db, input.orderId);
  const action = order ? signAction(order) : 'login_mobile_siths';
  const device = await findMobileDevice(db, input.deviceId);
  const refuse = async (
    refusal: MobileSithsRefusal,
    detail: Record<string, unknown> = {},
    failedAttempt = false,
  ): Promise<Refused> => {
    const record = failedAttempt ? recordFailedLogin : recordRefusedLogin;
    await record(db, {
      action,
      actorLabel: await actorLabelOf(db, device?.personId),
      reason: refusal,
      address: input.address,
      personId: device?.personId ?? null,
      objectType: device ? 'mobile_device' : 'auth_order',
      objectId: device?.id ?? input.orderId,
      detail: { ...detail, authOrderId: input.orderId, mobileDeviceId: input.deviceId },
    });
    if (order && failsOrder(refusal)) await failOrder(db, order.id, refusal, input.now);
    return {
      ok: false,
      refusal,
      ...(typeof detail.attemptsLeft === 'number' ? { attemptsLeft: detail.attemptsLeft } : {}),
    };
  };

  if (!order || !isMobileAuthOrder(order)) return await refuse('order_closed');
  if (!isAuthOrderOpen(order, input.now)) {
    return await refuse(
      order.state === 'pending' || order.state === 'scanned' ? 'order_expired' : 'order_closed',
    );
  }
  if (order.state !== 'scanned' || order.mobileDeviceId !== input.deviceId)
    return await refuse('order_closed');
  if (!device) return await refuse('unknown_device');
  if (device.state !== 'active') return await refuse('device_revoked');
  const allowed = await checkLoginAllowed(
    db,
    { personId: device.personId, address: input.address },
    input.now,
  );
  if (!allowed.ok) {
    await recordRateLimitedLogin(db, {
      method: 'mobile_siths',
      reason: allowed.reason,
      address: input.address,
      personId: device.personId,
    });
    return waitRefusal(allowed);
  }
  const deviceKey = await validDeviceKey(deps, device, input.now);
  if (!deviceKey.ok) return await refuse('certificate_invalid', { rejection: deviceKey.reason });
  if (!verifyDeviceSignature(deviceKey.key, mobileSignedMessage(order), input.signature)) {
    return await refuse(order.purpose === 'sign_decision' ? 'statement_mismatch' : 'bad_signature', {}, true);
  }
  if (device.failedCodeAttempts >= maxWrongDeviceCodes) return await refuse('device_locked');
  if (!device.codeHash || !(await verifyDeviceCode(input.code, device.codeHash))) {
    const wrongCodes = await recordWrongDeviceCode(db, device.id);
    if (wrongCodes >= maxWrongDeviceCodes) return await refuse('device_locked', { wrongCodes });
    return await refuse('wrong_code', { wrongCodes, attemptsLeft: maxWrongDeviceCodes - wrongCodes }, true);
  }
  await resetWrongDeviceCodes(db, device.id);
  if (order.expectedPersonId && order.expectedPersonId !== device.personId) {
    return await refuse('wrong_person', { expectedPersonId: order.expectedPersonId });
  }
  if (
    !(await completeAuthOrder(db, order.id, proofOf(order, device, deviceKey, input.signature), input.now))
  ) {
    return await refuse('order_closed');
  }
  await recordAudit(db, {
    actorUserId: null,
    actorLabel: await actorLabelOf(db, device.personId),
    action,
    objectType: 'mobile_device',
    objectId: device.id,
    outcome: 'success',
    detail: {
      step: 'signed',
      authOrderId: order.id,
      personId: device.personId,
      clientAddress: input.address,
      ...(order.purpose === 'sign_decision' ? { eidId: deviceKey.eidId } : {}),
    },
  });
  return { ok: true, purpose: order.purpose as MobileAuthPurpose, personId: device.personId };
}

/** A decision keeps the signature and the certificate that verifies it, so it can be checked without us. */
function proofOf(
  order: AuthOrderRow,
  device: MobileDeviceRow,
  deviceKey: ValidDeviceKey,
  signature: Buffer,
): Parameters<typeof completeAuthOrder>[2] {
  const proof = { personId: device.personId, mobileDeviceId: device.id };
  if (order.purpose !== 'sign_decision') return proof;
  return {
    ...proof,
    statementSignature: {
      signature: signature.toString('base64'),
      certificate: deviceKey.certificateDer.toString('base64'),
    },
  };
}

/** The device's active eID certificate, valid now and naming this (unexpired) device and its holder, with its key. */
interface ValidDeviceKey {
  key: KeyObject;
  eidId: string;
  certificateDer: Buffer;
}

async function validDeviceKey(
  deps: { db: AppDatabase; pki: Pki },
  device: MobileDeviceRow,
  at: Date,
): Promise<({ ok: true } & ValidDeviceKey) | { ok: false; reason: string }> {
  if (device.validTo <= at) return { ok: false, reason: 'device_expired' };
  const certificate = await findActiveDeviceCertificate(deps.db, device.id);
  if (!certificate) return { ok: false, reason: 'no_certificate' };
  let der: Buffer;
  try {
    der = Buffer.from(pemBody(certificate.certificatePem), 'base64');
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const validation = await deps.pki.validate(der, { at });
  if (!validation.ok) return { ok: false, reason: validation.reason };
  const valid = validation.certificate;
  if (valid.mobileDeviceId !== device.id || valid.personId !== device.personId) {
    return { ok: false, reason: 'not_this_device' };
  }
  return { ok: true, key: valid.publicKey, eidId: valid.eidId, certificateDer: der };
}

/** The base64 body of a PEM certificate. */
function pemBody(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!match?.[1]) throw new Error('not a PEM certificate');
  return match[1].replace(/\s+/g, '');
}

/** ECDSA P-256 / SHA-256 in IEEE P1363 form (64 bytes), as WebCrypto's sign() returns it. */
export function verifyDeviceSignature(key: KeyObject, message: Buffer, signature: Buffer): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** A P-256 public key from SPKI DER; undefined for anything else. */
export function parseDevicePublicKey(spki: Buffer): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
      ? key
      : undefined;
  } catch {
    return undefined;
  }
}
