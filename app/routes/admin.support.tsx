import type { LoaderFunctionArgs } from '@remix-run/node';
import { Outlet } from '@remix-run/react';
import { requireSection } from '~/auth/section.server';
import { SupportSocketProvider } from '~/support/support-socket';

export const loader = ({ request, context }: LoaderFunctionArgs) =>
  requireSection(request, context, 'support').then(() => null);

export default function SupportLayout() {
  return (
    <SupportSocketProvider>
      <Outlet />
    </SupportSocketProvider>
  );
}
