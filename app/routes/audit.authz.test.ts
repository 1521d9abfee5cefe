import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { auditEvents } from '../../db/schema';
import * as auditPage from './admin.granskning';
import * as auditCsv from './admin.granskning_.export[.csv]';

let harness: RouteHarness;
beforeAll(async () => {
  harness = await createRouteHarness();
});
afterAll(async () => {
  await harness.db.close();
});

type Handler = Parameters<typeof callRoute>[0];

const routes: Array<[string, string, Handler]> = [
  ['the audit log page', '/admin/granskning', auditPage.loader as Handler],
  ['the audit log CSV export', '/admin/granskning/export.csv', auditCsv.loader as Handler],
];

// Each role against each loader of the audit area.
const expected: Record<string, number> = {
  admin: 200,
  chef: 403,
  kontakt: 403,
  'kontakt.skovde': 403,
  idadmin1: 200,
  idadmin2: 200,
  support: 200,
};

describe('audit area by role', () => {
  for (const [name, path, handler] of routes) {
    for (const [username, status] of Object.entries(expected)) {
      it(`${username} gets ${status} for ${name}`, async () => {
        const outcome = await callRoute(
          handler,
          await harness.request(path, { as: username }),
          harness.context,
        );
        expect(outcome.status).toBe(status);
      });
    }
    it(`sends an end user to the login page for ${name}`, async () => {
      const outcome = await callRoute(
        handler,
        await harness.request(path, { as: 'carina' }),
        harness.context,
      );
      expect(outcome).toMatchObject({ status: 302 });
    });
  }
});

const refusedFilters = async () =>
  await harness.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'audit_filter'), eq(auditEvents.outcome, 'refused')));

describe('the audit log', () => {
  it('shows the refusals of other pages, filtered by outcome', async () => {
    await callRoute(
      auditPage.loader as Handler,
      await harness.request('/admin/granskning', { as: 'chef' }),
      harness.context,
    );
    const outcome = await callRoute(
      auditPage.loader as Handler,
      await harness.request('/admin/granskning?outcome=refused&actor=chef', { as: 'support' }),
      harness.context,
    );
    const events = (outcome.data as { events: Array<Record<string, unknown>> }).events;
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(event).toMatchObject({ actorLabel: 'chef', action: 'open_audit', outcome: 'refused' });
    }
  });

  it('refuses a bad date range with 400, the message key next to the field, and an audit event', async () => {
    const before = (await refusedFilters()).length;
    const outcome = await callRoute(
      auditPage.loader as Handler,
      await harness.request('/admin/granskning?from=2026-05-02&to=2026-05-01', { as: 'idadmin1' }),
      harness.context,
    );
    expect(outcome).toMatchObject({ status: 400, data: { errors: { to: 'audit.filter.error.dateRange' } } });
    expect(await refusedFilters()).toHaveLength(before + 1);
  });

  it('refuses an unknown unit', async () => {
    const outcome = await callRoute(
      auditPage.loader as Handler,
      await harness.request('/admin/granskning?unit=no-such-unit', { as: 'idadmin1' }),
      harness.context,
    );
    expect(outcome).toMatchObject({ status: 400, data: { errors: { unit: 'audit.filter.error.unit' } } });
  });

  it('exports the filtered log as a semicolon CSV with a BOM, and audits the export', async () => {
    const request = await harness.request('/admin/granskning/export.csv?actor=system', { as: 'support' });
    const response = (await auditCsv.loader({ request, context: harness.context, params: {} })) as Response;
    expect(response.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('Content-Disposition')).toMatch(/^attachment; filename="granskningslogg-/);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes).trimEnd().split('\r\n');
    expect(lines[0]).toBe('Tid;Utförd av;Åtgärd;Åtgärdskod;Objekttyp;Objekt-id;Enhet;Utfall;Detaljer');
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toContain(';system;Demodata inlästa;demo_data_seeded;database;;;Genomförd;');
    const exports = await harness.db.select().from(auditEvents).where(eq(auditEvents.action, 'audit_export'));
    expect(exports.at(-1)).toMatchObject({ actorLabel: 'support', outcome: 'success' });
  });
});
