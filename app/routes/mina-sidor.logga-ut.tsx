import { type ActionFunctionArgs, redirect } from '@remix-run/node';
import { getEndUser } from '~/mina-sidor/end-user.server';
import { recordAudit } from '../../db/audit';

export async function loader() {
  return redirect('/mina-sidor');
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await getEndUser(request, context);
  if (!user) return redirect('/mina-sidor');
  const cookie = await context.sessions.invalidate(user.sessionId);
  await recordAudit(context.db, {
    actorUserId: user.userId,
    actorLabel: user.displayName,
    action: 'logout',
    objectType: 'session',
    outcome: 'success',
  });
  return redirect('/mina-sidor', { headers: { 'Set-Cookie': cookie } });
}
