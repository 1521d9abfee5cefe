import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { findRun } from '../../db/directory-sync-runs';
import { first } from '../../db/engine';
import { auditEvents, persons } from '../../db/schema';
import { demoPersons } from '../../db/seed';
import { demoRegionLdif } from '../../server/directory/demo-region-ldif';
import { createDirectorySync } from '../../server/directory/directory-sync-service';
import { createLdapDirectory } from '../../server/directory/ldap-directory';
import { createLogger } from '../../server/logger';
import { type Slapd, startSlapd } from '../../test-support/slapd';
import * as page from './admin.administration_.katalog';
import * as run from './admin.administration_.katalog_.$runId';

let harness: RouteHarness;
let slapd: Slapd;

beforeAll(async () => {
  harness = await createRouteHarness();
  slapd = await startSlapd({ ldif: demoRegionLdif(new Date()) });
});

afterAll(async () => {
  await harness?.db.close();
  await slapd?.stop();
});

const lastAudit = async () =>
  first(await harness.db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(1));

/** The harness's context with a directory sync over the test slapd, as DIRECTORY_URL would give it. */
function withDirectory() {
  harness.context.directorySync = createDirectorySync({
    db: harness.db,
    source: createLdapDirectory({
      url: slapd.url,
      bindDn: slapd.bindDn,
      bindPassword: slapd.bindPassword,
      baseDn: slapd.suffix,
    }),
    logger: createLogger('silent'),
  });
  return harness.context.directorySync;
}

async function post(as: string, intent: string) {
  return callRoute(
    page.action,
    await harness.request('/admin/administration/katalog', { as, form: { intent } }),
    harness.context,
  );
}

describe('the HSA directory pages', () => {
  it('are for system administrators only: everyone else gets an audited 403, for the page, a report and a start', async () => {
    for (const username of ['chef', 'kontakt', 'idadmin1', 'support']) {
      const loaded = await callRoute(
        page.loader,
        await harness.request('/admin/administration/katalog', { as: username }),
        harness.context,
      );
      expect(loaded.status, username).toBe(403);
      const started = await post(username, 'preview');
      expect(started.status, username).toBe(403);
      expect(await lastAudit()).toMatchObject({ outcome: 'refused', actorLabel: username });
      const report = await callRoute(
        run.loader,
        await harness.request('/admin/administration/katalog/x', { as: username }),
        harness.context,
        { runId: 'x' },
      );
      expect(report.status, username).toBe(403);
    }
    const anonymous = await callRoute(
      page.loader,
      await harness.request('/admin/administration/katalog'),
      harness.context,
    );
    expect(anonymous.status).toBe(302);
  });

  it('says so in Swedish, 409 and audited, when no directory is configured', async () => {
    harness.context.directorySync = null;
    const refused = await post('admin', 'apply');
    expect(refused.status).toBe(409);
    expect(refused.data).toMatchObject({ errors: { form: 'directory.error.notConfigured' } });
    expect(await lastAudit()).toMatchObject({
      action: 'directory_sync_start',
      outcome: 'refused',
      detail: { reason: 'not_configured' },
    });
    const loaded = await callRoute(
      page.loader,
      await harness.request('/admin/administration/katalog', { as: 'admin' }),
      harness.context,
    );
    expect(loaded.data).toMatchObject({ configured: false, runs: [] });
  });

  it('refuses an intent it does not know with 400, audited', async () => {
    withDirectory();
    const refused = await post('admin', 'delete_everything');
    expect(refused.status).toBe(400);
    expect(refused.data).toMatchObject({ errors: { intent: 'directory.error.intent' } });
    expect(await lastAudit()).toMatchObject({ outcome: 'refused', detail: { reason: 'invalid_input' } });
  });

  it('wants a preview before the first sync, shows it, and then applies it', async () => {
    const sync = withDirectory();
    const early = await post('admin', 'apply');
    expect(early.status).toBe(409);
    expect(early.data).toMatchObject({ errors: { form: 'directory.error.previewFirst' } });

    const preview = await post('admin', 'preview');
    expect(preview.status).toBe(302);
    const previewId = preview.location?.split('/').pop() ?? '';
    await sync.idle();
    const report = await callRoute(
      run.loader,
      await harness.request(`/admin/administration/katalog/${previewId}`, { as: 'admin' }),
      harness.context,
      { runId: previewId },
    );
    expect(report.status).toBe(200);
    // The seeded region is what the directory holds: nothing new, nothing changed.
    expect(report.data).toMatchObject({
      run: { mode: 'preview', state: 'completed', counts: { person_new: 0, person_changed: 0, problems: 0 } },
      canApply: true,
    });

    const applied = await post('admin', 'apply');
    expect(applied.status).toBe(302);
    const appliedId = applied.location?.split('/').pop() ?? '';
    await sync.idle();
    expect(await findRun(harness.db, appliedId)).toMatchObject({ mode: 'apply', state: 'completed' });
    const carina = first(
      await harness.db.select().from(persons).where(eq(persons.hsaId, demoPersons.carina.hsaId)),
    );
    expect(carina?.lastSeenSyncRunId).toBe(appliedId);
    const listed = await callRoute(
      page.loader,
      await harness.request('/admin/administration/katalog', { as: 'admin' }),
      harness.context,
    );
    expect(listed.data).toMatchObject({ configured: true, firstRunDone: true });
  });

  it('answers 404 for a report that does not exist', async () => {
    const missing = await callRoute(
      run.loader,
      await harness.request('/admin/administration/katalog/nope', { as: 'admin' }),
      harness.context,
      { runId: 'nope' },
    );
    expect(missing.status).toBe(404);
  });
});
