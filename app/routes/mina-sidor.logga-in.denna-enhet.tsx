import { type ActionFunctionArgs, json, type LoaderFunctionArgs, redirect } from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { useT } from '~/i18n/use-translation';
import { tooManyStartsResponse } from '~/mina-sidor/anonymous-starts.server';
import { CardLoginPanel } from '~/mina-sidor/card-login';
import { startAnonymousCardOrder } from '~/mina-sidor/card-order.server';
import { collectCardLogin, collectSchema } from '~/mina-sidor/card-order-actions.server';
import { getEndUser } from '~/mina-sidor/end-user.server';

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getEndUser(request, context)) throw redirect('/mina-sidor/eid');
  return { agentLocalUrl: context.agentLocalUrl };
}

/** "SITHS eID på denna enhet": the SITHS eID-app on this computer signs with the card in its reader. */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = Object.fromEntries(await request.formData());
  const collect = collectSchema.safeParse(form);
  if (collect.success)
    return collectCardLogin(request, context, collect.data.orderId, { redirectTo: '/mina-sidor/eid' });
  const started = await startAnonymousCardOrder(context, 'login');
  if (!started.ok) return tooManyStartsResponse(started);
  return json(
    { orderId: started.orderId, autoStartToken: started.autoStartToken },
    { headers: { 'Set-Cookie': started.cookie } },
  );
}

export default function CardLogin() {
  const { agentLocalUrl } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <CardLoginPanel
      agentLocalUrl={agentLocalUrl}
      answer={useActionData<typeof action>()}
      heading={t('mina.cardLogin.heading')}
      cancelTo="/mina-sidor"
    />
  );
}
