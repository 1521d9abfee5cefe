import { describe, expect, it } from 'vitest';
import { validateForm } from '~/forms/validation';
import { auditFilterSchema, startOfSwedishDay } from './audit-filter';

describe('audit filter', () => {
  it('starts a day at midnight in Sweden, in winter and in summer time', () => {
    expect(startOfSwedishDay('2026-01-15').toISOString()).toBe('2026-01-14T23:00:00.000Z');
    expect(startOfSwedishDay('2026-07-15').toISOString()).toBe('2026-07-14T22:00:00.000Z');
    expect(startOfSwedishDay('2026-03-28', 1).toISOString()).toBe('2026-03-28T23:00:00.000Z');
  });

  it('refuses a bad date, an end before the start and an unknown outcome field by field', () => {
    expect(validateForm(auditFilterSchema, { from: '2026-13-45' })).toMatchObject({
      ok: false,
      errors: { from: 'audit.filter.error.date' },
    });
    expect(validateForm(auditFilterSchema, { from: '2026-05-02', to: '2026-05-01' })).toMatchObject({
      ok: false,
      errors: { to: 'audit.filter.error.dateRange' },
    });
    expect(validateForm(auditFilterSchema, { outcome: 'maybe' })).toMatchObject({
      ok: false,
      errors: { outcome: 'audit.filter.error.outcome' },
    });
  });

  it('lowercases the actor and pages from 1', () => {
    expect(validateForm(auditFilterSchema, { actor: ' IdAdmin1 ', page: 'x' })).toEqual({
      ok: true,
      data: { actor: 'idadmin1', page: 1 },
    });
  });
});
