import { type AppLoadContext, redirect } from '@remix-run/node';
import { sitePath } from '~/forms/login-form';
import { getPrincipal } from './staff.server';

/** Where a staff login goes afterwards: the page's own `redirectTo` (paths on this site only), or the overview. */
export function staffRedirectTarget(request: Request): string {
  return sitePath(new URL(request.url).searchParams.get('redirectTo') ?? undefined, '/admin');
}

/** A login page is for those not logged in to the dashboard: the others go where they were going. */
export async function redirectLoggedInStaff(request: Request, context: AppLoadContext): Promise<void> {
  const principal = await getPrincipal(request, context);
  if (principal && principal.roles.size > 0) throw redirect(staffRedirectTarget(request));
}
