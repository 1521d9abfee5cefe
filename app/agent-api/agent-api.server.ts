import { type AppLoadContext, json } from '@remix-run/node';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { readPhoneRequest } from '~/mobile-siths/phone-api.server';
import {
  countRecentUnknownEnrolmentCodes,
  enrolAgent,
  enrolmentAttemptsAllowed,
  enrolmentAttemptWindowMs,
  findAgentKey,
  issueAgentChallenge,
  parseDevicePublicKey,
} from '../../db/agent-enrolment';
import { recordAudit, recordFoldedRefusal } from '../../db/audit';
import {
  challengeRequestSchema,
  type EnrolmentRefusalCode,
  enrolRequestSchema,
} from '../../protocol/agent-enrolment';

const refusalStatus: Record<EnrolmentRefusalCode, number> = {
  invalid_request: 400,
  unknown_code: 404,
  expired_code: 409,
  used_code: 409,
  withdrawn_code: 409,
  key_known: 409,
  too_many_attempts: 429,
};

const noStore = { 'Cache-Control': 'no-store' };

async function refusal(request: Request, code: EnrolmentRefusalCode, headers: Record<string, string> = {}) {
  const t = translator(await localeOf(request));
  return json(
    { ok: false as const, code, message: t(`agentApi.refusal.${code}`) },
    { status: refusalStatus[code], headers: { ...noStore, ...headers } },
  );
}

/**
 * A computer enrols: the code (from its administrator or the software distribution's config) and the
 * public half of the device key it just made. Every refusal is audited by address; ten codes that match
 * nothing from one address in 15 minutes stop further tries there for a while.
 */
export async function enrolComputer(request: Request, context: AppLoadContext) {
  const now = new Date();
  const input = await readPhoneRequest(request, enrolRequestSchema);
  const publicKeyDer = input ? parseDevicePublicKey(input.publicKey) : undefined;
  const refuse = async (reason: EnrolmentRefusalCode, detail: Record<string, unknown> = {}) => {
    await recordAudit(context.db, {
      actorUserId: null,
      actorLabel: input?.hostname ?? 'okänd dator',
      action: 'agent_enrol',
      objectType: 'client_address',
      objectId: context.clientAddress,
      outcome: 'refused',
      detail: { reason, clientAddress: context.clientAddress, ...detail },
    });
    return refusal(
      request,
      reason,
      reason === 'too_many_attempts' ? { 'Retry-After': String(enrolmentAttemptWindowMs / 1000) } : {},
    );
  };
  if (!input || !publicKeyDer) return refuse('invalid_request');
  const wrongCodes = await countRecentUnknownEnrolmentCodes(context.db, context.clientAddress, now);
  if (wrongCodes >= enrolmentAttemptsAllowed) {
    await recordFoldedRefusal(context.db, {
      actorUserId: null,
      actorLabel: input.hostname,
      action: 'agent_enrol',
      objectType: 'client_address',
      objectId: context.clientAddress,
      detail: { reason: 'too_many_attempts', clientAddress: context.clientAddress },
    });
    return refusal(request, 'too_many_attempts', { 'Retry-After': String(enrolmentAttemptWindowMs / 1000) });
  }
  const enrolled = await enrolAgent(context.db, {
    code: input.code,
    publicKeyDer,
    hostname: input.hostname,
    secret: context.masterKey,
    now,
  });
  if (!enrolled.ok)
    return refuse(
      enrolled.reason,
      enrolled.enrolmentCodeId ? { enrolmentCodeId: enrolled.enrolmentCodeId } : {},
    );
  await recordAudit(context.db, {
    actorUserId: null,
    actorLabel: input.hostname,
    action: 'agent_enrolled',
    objectType: 'agent',
    objectId: enrolled.agentId,
    outcome: 'success',
    detail: {
      name: enrolled.name,
      enrolmentCodeId: enrolled.enrolmentCodeId,
      codeCreatedByUserId: enrolled.createdByUserId,
      hostname: input.hostname,
      os: input.os,
      agentVersion: input.agentVersion,
      clientAddress: context.clientAddress,
    },
  });
  context.logger.info({ agentId: enrolled.agentId, hostname: input.hostname }, 'computer enrolled');
  return json({ ok: true as const, agentId: enrolled.agentId, name: enrolled.name }, { headers: noStore });
}

/** A one-time challenge for an enrolled computer's next connection; a revoked computer is told so. */
export async function challengeComputer(request: Request, context: AppLoadContext) {
  const t = translator(await localeOf(request));
  const input = await readPhoneRequest(request, challengeRequestSchema);
  const key = input ? await findAgentKey(context.db, input.agentId) : undefined;
  if (!input || !key)
    return json(
      { ok: false as const, code: 'unknown_agent' as const, message: t('agentApi.refusal.unknown_agent') },
      { status: 404, headers: noStore },
    );
  if (key.revokedAt)
    return json(
      { ok: false as const, code: 'revoked' as const, message: t('agentApi.refusal.revoked') },
      { status: 403, headers: noStore },
    );
  const issued = await issueAgentChallenge(context.db, key.agentId, new Date());
  return json({ ok: true as const, challenge: issued.challenge }, { headers: noStore });
}

export const agentApiNotFound = () => json({ ok: false, message: 'Använd POST.' }, { status: 405 });
