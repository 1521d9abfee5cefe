import { type AppLoadContext, json, redirect } from '@remix-run/node';
import { recordRefusedAttempt } from '~/auth/refused-attempt.server';
import type { StaffRole } from '../../db/schema';
import { expandUnitSubtrees } from '../../db/units';
import { findUserById, listRoleAssignments } from '../../db/users';
import { translator } from '../i18n/catalogue';
import { localeOf } from '../i18n/locale.server';
import { endSessionOfFallenCredential, sessionCredentialStands } from './eid-sessions.server';
import { canAccessUnit, hasAnyRole, type Principal, scopeRoles } from './permissions';

export async function getPrincipal(request: Request, context: AppLoadContext): Promise<Principal | null> {
  const session = await context.sessions.validateCookieHeader(request.headers.get('Cookie'));
  if (!session) return null;
  const user = await findUserById(context.db, session.userId);
  if (!user || user.disabled) return null;
  if (!(await sessionCredentialStands(context, session, user.personId))) {
    await endSessionOfFallenCredential(context, session, user);
    return null;
  }
  const grants = await listRoleAssignments(context.db, user.id);
  return {
    userId: user.id,
    username: user.username,
    displayName: user.displayName,
    personId: user.personId,
    sessionId: session.sessionId,
    roles: await scopeRoles(grants, (unitIds) => expandUnitSubtrees(context.db, unitIds)),
  };
}

/** A staff member with at least one role, or a redirect to the login page that comes back here. */
export async function requireStaff(request: Request, context: AppLoadContext): Promise<Principal> {
  const principal = await getPrincipal(request, context);
  if (!principal || principal.roles.size === 0) {
    const url = new URL(request.url);
    const redirectTo = `${url.pathname}${url.search}`;
    throw redirect(`/logga-in?redirectTo=${encodeURIComponent(redirectTo)}`);
  }
  return principal;
}

async function refuse(
  request: Request,
  context: AppLoadContext,
  principal: Principal,
  detail: { action: string; objectType: string; objectId?: string; unitId?: string; reason: string },
): Promise<never> {
  // The unit goes in the detail: a refused attempt may name a unit that does not exist.
  await recordRefusedAttempt(context.db, principal, detail, {
    reason: detail.reason,
    unitId: detail.unitId,
    path: new URL(request.url).pathname,
  });
  const t = translator(await localeOf(request));
  throw json(
    { message: t(detail.reason === 'other_unit' ? 'error.forbiddenUnit' : 'error.forbidden') },
    { status: 403 },
  );
}

/** Throws a 403 (and audits the refusal) unless the principal has one of `roles`. */
export async function requireRole(
  request: Request,
  context: AppLoadContext,
  principal: Principal,
  roles: readonly StaffRole[],
  attempted: { action: string; objectType: string },
): Promise<void> {
  if (!hasAnyRole(principal, roles)) {
    await refuse(request, context, principal, { ...attempted, reason: 'missing_role' });
  }
}

/** Throws a 403 (and audits the refusal) unless one of `roles` reaches `unitId`. */
export async function requireUnitAccess(
  request: Request,
  context: AppLoadContext,
  principal: Principal,
  unitId: string,
  roles: readonly StaffRole[],
  attempted: { action: string; objectType: string; objectId?: string },
): Promise<void> {
  if (!canAccessUnit(principal, unitId, roles)) {
    await refuse(request, context, principal, { ...attempted, unitId, reason: 'other_unit' });
  }
}
