import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireSection } from '~/auth/section.server';
import { NotAvailableYet } from '~/components/not-available-yet';

export const loader = ({ request, context }: LoaderFunctionArgs) =>
  requireSection(request, context, 'audit').then(() => null);

export default () => <NotAvailableYet section="audit" />;
