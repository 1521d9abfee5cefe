import { type AppLoadContext, json } from '@remix-run/node';
import { hasAnyRole, identityViewerOf, type Principal } from '~/auth/permissions';
import { recordRefusedAttempt } from '~/auth/refused-attempt.server';
import { requireSection } from '~/auth/section.server';
import { requireRole } from '~/auth/staff.server';
import type { FieldErrors } from '~/forms/validation';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { type Computer, findComputer } from '../../db/agent-admin';
import type { StaffRole } from '../../db/schema';

/**
 * Who does what with the computers. The section (the list, a computer's page, a code for one named computer)
 * is support's and the system administrators'; revoking, renaming, codes for a rollout and withdrawing
 * anyone's code are the system administrators' alone (support may withdraw the codes they created).
 */
export const computerAdminRoles: readonly StaffRole[] = ['system_admin'];

export function mayAdministerComputers(principal: Principal): boolean {
  return hasAnyRole(principal, computerAdminRoles);
}

export interface ComputerAttempt {
  action: string;
  objectType: 'agent' | 'agent_enrolment_code';
  objectId?: string | null;
}

/** The principal, if a system administrator; otherwise an audited 403 (or the login page). */
export async function requireComputerAdmin(
  request: Request,
  context: AppLoadContext,
  attempt: ComputerAttempt,
): Promise<Principal> {
  const principal = await requireSection(request, context, 'computers');
  await requireRole(request, context, principal, computerAdminRoles, attempt);
  return principal;
}

export type ComputerRefusal =
  | 'invalid_input'
  | 'unknown_agent'
  | 'unknown_code'
  | 'not_creator'
  | 'code_not_usable'
  | 'already_revoked';

const refusalStatus: Record<ComputerRefusal, number> = {
  invalid_input: 400,
  unknown_agent: 404,
  unknown_code: 404,
  not_creator: 403,
  code_not_usable: 409,
  already_revoked: 409,
};

/**
 * An audited refusal, answered with its status and a message in the user's language (Swedish by default);
 * bad input also names the fields, for the form to show next to them.
 */
export async function refuseComputerChange(
  request: Request,
  context: AppLoadContext,
  principal: Principal,
  attempt: ComputerAttempt,
  reason: ComputerRefusal,
  errors: FieldErrors = {},
) {
  await recordRefusedAttempt(
    context.db,
    principal,
    attempt,
    reason === 'invalid_input' ? { reason, fields: Object.keys(errors) } : { reason },
  );
  const t = translator(await localeOf(request));
  const fieldMessage = Object.values(errors)[0];
  const message =
    reason === 'invalid_input'
      ? t(fieldMessage ?? 'computers.error.invalid')
      : t(`computers.refusal.${reason}`);
  return json({ ok: false as const, reason, message, errors }, { status: refusalStatus[reason] });
}

/** The computer as this principal may see it, or an audited 404 (thrown, for the page's error view). */
export async function requireComputer(
  request: Request,
  context: AppLoadContext,
  principal: Principal,
  agentId: string | undefined,
): Promise<Computer> {
  const computer = agentId ? await findComputer(context.db, agentId, identityViewerOf(principal)) : undefined;
  if (computer) return computer;
  await recordRefusedAttempt(
    context.db,
    principal,
    { action: 'agent_view', objectType: 'agent', objectId: agentId },
    { reason: 'unknown_agent' },
  );
  const t = translator(await localeOf(request));
  throw json({ message: t('computers.refusal.unknown_agent') }, { status: 404 });
}

/** The card readers each connected computer reported, on this server process and the others. */
export async function readersByAgent(context: AppLoadContext): Promise<Map<string, string[]>> {
  const connected = [...context.agentRegistry.list(), ...(await context.jobs.agentsConnectedElsewhere())];
  return new Map(connected.map((agent) => [agent.agentId, agent.readers.map((reader) => reader.name)]));
}
