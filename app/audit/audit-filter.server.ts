import type { AppLoadContext } from '@remix-run/node';
import { identityViewerOf, type Principal, visibleUnits } from '~/auth/permissions';
import { dashboardSections } from '~/auth/sections';
import type { FieldErrors } from '~/forms/validation';
import { validateForm } from '~/forms/validation';
import { type AuditFilter, recordAudit } from '../../db/audit';
import { expandUnitSubtrees, listUnits } from '../../db/units';
import { type AuditFilterInput, auditFilterSchema, startOfSwedishDay } from './audit-filter';
import { nonEmptyValues } from './query-form';

export type AuditFilterParse =
  | { ok: true; input: AuditFilterInput; filter: AuditFilter }
  | { ok: false; input: Record<string, string>; errors: FieldErrors };

/**
 * The audit filter of a request's URL, limited to the units the reader sees. Bad input is refused and the
 * refusal audited, as for any form.
 */
export async function auditFilterFromRequest(
  request: Request,
  context: AppLoadContext,
  principal: Principal,
): Promise<AuditFilterParse> {
  const raw = nonEmptyValues(new URL(request.url).searchParams);
  const scope = visibleUnits(principal, dashboardSections.audit.roles);
  const form = validateForm(auditFilterSchema, raw);
  const unknownUnit = form.ok && form.data.unit && !(await readableUnit(context, scope, form.data.unit));
  if (!form.ok || unknownUnit) {
    const errors: FieldErrors = form.ok ? { unit: 'audit.filter.error.unit' } : form.errors;
    await recordAudit(context.db, {
      actorUserId: principal.userId,
      actorLabel: principal.username,
      action: 'audit_filter',
      objectType: 'audit_log',
      outcome: 'refused',
      detail: { errors },
    });
    return { ok: false, input: raw, errors };
  }
  const input = form.data;
  return {
    ok: true,
    input,
    filter: {
      actor: input.actor,
      action: input.action,
      objectType: input.objectType,
      objectId: input.objectId,
      outcome: input.outcome,
      from: input.from ? startOfSwedishDay(input.from) : undefined,
      to: input.to ? startOfSwedishDay(input.to, 1) : undefined,
      unitIds: input.unit ? await expandUnitSubtrees(context.db, [input.unit]) : undefined,
      scope,
      viewer: identityViewerOf(principal),
    },
  };
}

async function readableUnit(
  context: AppLoadContext,
  scope: 'all' | string[],
  unitId: string,
): Promise<boolean> {
  if (scope !== 'all' && !scope.includes(unitId)) return false;
  return (await listUnits(context.db, [unitId])).length === 1;
}

/** The units the filter's unit list offers. */
export async function filterUnits(context: AppLoadContext, principal: Principal) {
  const scope = visibleUnits(principal, dashboardSections.audit.roles);
  return (await listUnits(context.db, scope === 'all' ? undefined : scope)).map(({ id, name }) => ({
    id,
    name,
  }));
}
