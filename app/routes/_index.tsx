import { type LoaderFunctionArgs, redirect } from '@remix-run/node';
import { getPrincipal } from '~/auth/staff.server';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await getPrincipal(request, context);
  return redirect(principal && principal.roles.size > 0 ? '/admin' : '/logga-in');
}
