import { type ActionFunctionArgs, json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useActionData, useLoaderData } from '@remix-run/react';
import { redirectLoggedInStaff, staffRedirectTarget } from '~/auth/staff-login.server';
import { PublicHeader } from '~/components/public-header';
import { useT } from '~/i18n/use-translation';
import { tooManyStartsResponse } from '~/mina-sidor/anonymous-starts.server';
import { CardLoginPanel } from '~/mina-sidor/card-login';
import { startAnonymousCardOrder } from '~/mina-sidor/card-order.server';
import { collectCardLogin, collectSchema } from '~/mina-sidor/card-order-actions.server';

export const meta: MetaFunction = () => [{ title: 'SITHS eID på denna enhet – SITHS eID-portalen' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await redirectLoggedInStaff(request, context);
  return { agentLocalUrl: context.agentLocalUrl };
}

/**
 * Staff log in with the card in this computer's reader (the SITHS eID-app, PIN1, a 9A signature): the same
 * order and app as Mina sidor, collected into a dashboard session for a person with a staff role.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const collect = collectSchema.safeParse(Object.fromEntries(await request.formData()));
  if (collect.success) {
    return collectCardLogin(request, context, collect.data.orderId, {
      redirectTo: staffRedirectTarget(request),
      audience: 'staff',
    });
  }
  const started = await startAnonymousCardOrder(context, 'login');
  if (!started.ok) return tooManyStartsResponse(started);
  return json(
    { orderId: started.orderId, autoStartToken: started.autoStartToken },
    { headers: { 'Set-Cookie': started.cookie } },
  );
}

export default function StaffCardLogin() {
  const { agentLocalUrl } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <>
      <PublicHeader />
      <main className="login">
        <CardLoginPanel
          agentLocalUrl={agentLocalUrl}
          answer={useActionData<typeof action>()}
          heading={t('login.eid.thisDevice')}
          cancelTo="/logga-in"
          refusal={(code) =>
            code === 'no_staff_role' ? (
              <>
                <p>{t('login.error.noStaffRole')}</p>
                <Link to="/mina-sidor">{t('login.toMinaSidor')}</Link>
              </>
            ) : code === 'disabled' ? (
              <p>{t('login.error.disabled')}</p>
            ) : null
          }
        />
      </main>
    </>
  );
}
