import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { redirectLoggedInStaff, staffRedirectTarget } from '~/auth/staff-login.server';
import { PublicHeader } from '~/components/public-header';
import { MobileLoginPage } from '~/mina-sidor/mobile-login';
import { type MobileLoginPages, mobileLoginAction, showMobileLogin } from '~/mina-sidor/mobile-login.server';

export const meta: MetaFunction = () => [{ title: 'SITHS eID på annan enhet – SITHS eID-portalen' }];

const page = '/logga-in/annan-enhet';

const pagesFor = (request: Request): MobileLoginPages => ({
  audience: 'staff',
  page: `${page}${new URL(request.url).search}`,
  cancelTo: '/logga-in',
  loggedInTo: staffRedirectTarget(request),
});

/** Staff log in with Mobile SITHS: the animated QR code of Mina sidor, collected into a dashboard session. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await redirectLoggedInStaff(request, context);
  return showMobileLogin(request, context);
}

export async function action({ request, context }: ActionFunctionArgs) {
  return mobileLoginAction(request, context, pagesFor(request));
}

export default function StaffMobileLogin() {
  return (
    <>
      <PublicHeader />
      <main className="login">
        <MobileLoginPage
          loaded={useLoaderData<typeof loader>()}
          answer={useActionData<typeof action>()}
          page={page}
          backTo="/logga-in"
        />
      </main>
    </>
  );
}
