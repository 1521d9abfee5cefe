import type { AppLoadContext } from '@remix-run/node';
import { recordAudit } from '../../db/audit';
import { findUserByUsername, listRoleAssignments, type UserAccount } from '../../db/users';
import type { MessageKey } from '../i18n/catalogue';
import { hashPassword, verifyPassword } from './password.server';

export type PasswordLoginResult =
  | { ok: true; cookie: string }
  | { ok: false; status: 401 | 403; error: MessageKey };

// Verifying against a real hash when the user is unknown keeps the answer time the same either way.
const unknownUserHash = hashPassword('no-such-user');

/**
 * Staff log in with their SITHS eID. A password opens only a break-glass account (the bootstrap system
 * administrator), or a demo account while the installation runs with DEMO_PASSWORD_LOGINS.
 */
function mayUsePassword(user: UserAccount, demoPasswordLogins: boolean): boolean {
  return user.passwordLogin === 'break_glass' || (user.passwordLogin === 'demo' && demoPasswordLogins);
}

export async function loginWithPassword(
  context: AppLoadContext,
  input: { username: string; password: string },
): Promise<PasswordLoginResult> {
  const user = await findUserByUsername(context.db, input.username);
  const passwordMatches = await verifyPassword(input.password, user?.passwordHash ?? (await unknownUserHash));
  // A break-glass login is its own action, so the system administrators' overview and the audit log's
  // filter find every one of them.
  const action = user?.passwordLogin === 'break_glass' ? 'login_break_glass' : 'login_password';
  const audit = async (outcome: 'success' | 'refused', reason?: string) =>
    await recordAudit(context.db, {
      actorUserId: user?.id ?? null,
      actorLabel: user?.username ?? input.username,
      action,
      objectType: 'session',
      outcome,
      detail: {
        clientAddress: context.clientAddress,
        ...(user?.passwordLogin ? { passwordLogin: user.passwordLogin } : {}),
        ...(reason ? { reason } : {}),
      },
    });

  if (!user?.passwordHash || !passwordMatches) {
    await audit('refused', user ? 'wrong_password' : 'unknown_user');
    return { ok: false, status: 401, error: 'login.error.invalid' };
  }
  // Only after the password matched: who does not know it learns nothing about the account.
  if (!mayUsePassword(user, context.demoPasswordLogins)) {
    await audit('refused', 'no_password_login');
    return { ok: false, status: 403, error: 'login.error.eidOnly' };
  }
  if (user.disabled) {
    await audit('refused', 'disabled');
    return { ok: false, status: 403, error: 'login.error.disabled' };
  }
  if ((await listRoleAssignments(context.db, user.id)).length === 0) {
    await audit('refused', 'no_staff_role');
    return { ok: false, status: 403, error: 'login.error.noStaffRole' };
  }
  const { cookie } = await context.sessions.create({ userId: user.id, loginMethod: 'password' });
  await audit('success');
  return { ok: true, cookie };
}
