import type { AppLoadContext } from '@remix-run/node';
import type { DashboardSectionName } from './sections';
import { dashboardSections } from './sections';
import { requireRole, requireStaff } from './staff.server';

/** The logged-in principal, if one of their roles may open the section; otherwise a redirect or an audited 403. */
export async function requireSection(
  request: Request,
  context: AppLoadContext,
  section: DashboardSectionName,
) {
  const principal = await requireStaff(request, context);
  await requireRole(request, context, principal, dashboardSections[section].roles, {
    action: `open_${section}`,
    objectType: 'dashboard_section',
  });
  return principal;
}
