import type { AppLoadContext } from '@remix-run/node';
import { recordAudit } from '../../db/audit';
import { findUserByUsername, listRoleAssignments } from '../../db/users';
import type { MessageKey } from '../i18n/catalogue';
import { hashPassword, verifyPassword } from './password.server';

export type PasswordLoginResult =
  | { ok: true; cookie: string }
  | { ok: false; status: 401 | 403; error: MessageKey };

// Verifying against a real hash when the user is unknown keeps the answer time the same either way.
const unknownUserHash = hashPassword('no-such-user');

export async function loginWithPassword(
  context: AppLoadContext,
  input: { username: string; password: string },
): Promise<PasswordLoginResult> {
  const user = await findUserByUsername(context.db, input.username);
  const passwordMatches = await verifyPassword(input.password, user?.passwordHash ?? (await unknownUserHash));
  const audit = async (outcome: 'success' | 'refused', reason?: string) =>
    await recordAudit(context.db, {
      actorUserId: user?.id ?? null,
      actorLabel: user?.username ?? input.username,
      action: 'login_password',
      objectType: 'session',
      outcome,
      detail: { clientAddress: context.clientAddress, ...(reason ? { reason } : {}) },
    });

  if (!user?.passwordHash || !passwordMatches) {
    await audit('refused', user ? 'wrong_password' : 'unknown_user');
    return { ok: false, status: 401, error: 'login.error.invalid' };
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
