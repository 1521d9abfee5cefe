import { type ActionFunctionArgs, type LoaderFunctionArgs, redirect } from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { getEndUser } from '~/mina-sidor/end-user.server';
import { MobileLoginPage } from '~/mina-sidor/mobile-login';
import { type MobileLoginPages, mobileLoginAction, showMobileLogin } from '~/mina-sidor/mobile-login.server';

const pages: MobileLoginPages = {
  audience: 'end_user',
  page: '/mina-sidor/logga-in/annan-enhet',
  cancelTo: '/mina-sidor/logga-in',
  loggedInTo: '/mina-sidor/eid',
};

/** "SITHS eID på annan enhet": this browser's Mobile SITHS login order and its animated QR code. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getEndUser(request, context)) throw redirect(pages.loggedInTo);
  return showMobileLogin(request, context);
}

export async function action({ request, context }: ActionFunctionArgs) {
  return mobileLoginAction(request, context, pages);
}

export default function MobileLogin() {
  return (
    <MobileLoginPage
      loaded={useLoaderData<typeof loader>()}
      answer={useActionData<typeof action>()}
      page={pages.page}
      backTo={pages.cancelTo}
    />
  );
}
