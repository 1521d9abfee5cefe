import { type ActionFunctionArgs, redirect } from '@remix-run/node';
import { getPrincipal } from '~/auth/staff.server';
import { recordAudit } from '../../db/audit';

export async function action({ request, context }: ActionFunctionArgs) {
  const principal = await getPrincipal(request, context);
  if (!principal) return redirect('/logga-in', { headers: { 'Set-Cookie': context.sessions.blankCookie() } });
  const blankCookie = await context.sessions.invalidate(principal.sessionId);
  await recordAudit(context.db, {
    actorUserId: principal.userId,
    actorLabel: principal.username,
    action: 'logout',
    objectType: 'session',
    outcome: 'success',
  });
  return redirect('/logga-in', { headers: { 'Set-Cookie': blankCookie } });
}

export const loader = () => redirect('/');
