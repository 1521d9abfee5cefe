import type { AppLoadContext } from '@remix-run/node';
import { recordAudit } from '../../db/audit';
import { isLoginCredentialValid, listSessionsOpenedWith } from '../../db/login-credentials';
import type { LoginMethod } from '../../db/schema';

interface EidSession {
  sessionId: string;
  loginMethod: LoginMethod;
  loginCredential: string | null;
}

/**
 * Whether a dashboard session may go on: a password session always (until it expires), an eID session only
 * while the card or device it was opened with holds an active, unexpired eID of the user's person.
 */
export async function sessionCredentialStands(
  context: AppLoadContext,
  session: EidSession,
  personId: string | null,
): Promise<boolean> {
  if (session.loginMethod === 'password') return true;
  if (!session.loginCredential || !personId) return false;
  return isLoginCredentialValid(
    context.db,
    { method: session.loginMethod, credential: session.loginCredential, personId },
    new Date(),
  );
}

/** Ends a session whose eID no longer stands, and closes its open connections (the support live view). */
export async function endSessionOfFallenCredential(
  context: AppLoadContext,
  session: EidSession,
  user: { id: string; username: string },
): Promise<void> {
  await context.sessions.invalidate(session.sessionId);
  await recordAudit(context.db, {
    actorUserId: user.id,
    actorLabel: user.username,
    action: 'session_end',
    objectType: 'session',
    outcome: 'success',
    detail: { reason: 'eid_not_valid', method: session.loginMethod, credential: session.loginCredential },
  });
}

/**
 * After a revocation: every session opened with one of these cards or devices whose eID no longer stands
 * ends now, not at its next request, so its open connections close too.
 */
export async function endSessionsOfRevokedCredentials(
  context: AppLoadContext,
  credentials: readonly string[],
  actor: { userId: string; label: string },
): Promise<number> {
  let ended = 0;
  for (const session of await listSessionsOpenedWith(context.db, credentials)) {
    const stands =
      session.personId !== null &&
      (await isLoginCredentialValid(
        context.db,
        { method: session.method, credential: session.credential, personId: session.personId },
        new Date(),
      ));
    if (stands) continue;
    await context.sessions.invalidate(session.sessionId);
    ended += 1;
    await recordAudit(context.db, {
      actorUserId: actor.userId,
      actorLabel: actor.label,
      action: 'session_end',
      objectType: 'session',
      outcome: 'success',
      detail: { reason: 'eid_revoked', method: session.method, credential: session.credential },
    });
  }
  return ended;
}
