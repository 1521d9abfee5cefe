import { type AddressInfo, createServer } from 'node:net';
import { and, eq, inArray, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDatabase } from '../../db/connection';
import type { DirectorySource } from '../../db/directory-entries';
import { findRun } from '../../db/directory-sync-runs';
import { validateDirectory } from '../../db/directory-validation';
import { first } from '../../db/engine';
import { auditEvents, directorySyncRuns, orders, persons, personUnits, units, users } from '../../db/schema';
import { buildDemoDataset, demoDirectoryIds, demoPersons, seedDemoData } from '../../db/seed';
import { type Slapd, startSlapd } from '../../test-support/slapd';
import { openTestDatabase } from '../../test-support/test-database';
import { demoRegionLdif } from './demo-region-ldif';
import { startDirectorySchedule } from './directory-schedule';
import { createDirectorySync, type DirectorySyncOptions, type SyncRequest } from './directory-sync-service';
import { createLdapDirectory } from './ldap-directory';
import { entryLdif, personEntryLdif, replaceAttributesLdif, unitEntryLdif } from './ldif';

const now = new Date('2026-12-03T08:15:00Z');
const dataset = buildDemoDataset(now);
const logger = pino({ level: 'silent' });
const byAdmin: SyncRequest = { mode: 'apply', userId: null, actorLabel: 'admin' };
let slapd: Slapd;

beforeAll(async () => {
  slapd = await startSlapd({ ldif: demoRegionLdif(now) });
});

afterAll(async () => {
  await slapd?.stop();
});

function directory(overrides: { bindPassword?: string; url?: string } = {}): DirectorySource {
  return createLdapDirectory({
    url: overrides.url ?? slapd.url,
    bindDn: slapd.bindDn,
    bindPassword: overrides.bindPassword ?? slapd.bindPassword,
    baseDn: slapd.suffix,
    timeoutMs: 5_000,
    connectTimeoutMs: 2_000,
  });
}

async function adminUserId(db: AppDatabase): Promise<string> {
  const admin = first(
    await db
      .select({ id: users.id })
      .from(users)
      .where(inArray(users.username, ['admin', 'synctest'])),
  );
  if (admin) return admin.id;
  await db.insert(users).values({ id: 'sync-test-admin', username: 'synctest', displayName: 'Test' });
  return 'sync-test-admin';
}

/** Starts a run as a system administrator (or the schedule) and waits for its end. */
async function sync(
  db: AppDatabase,
  request: Partial<SyncRequest> = {},
  options: Partial<DirectorySyncOptions> = {},
) {
  const service = createDirectorySync({ db, source: directory(), logger, now: () => now, ...options });
  const userId = request.userId === undefined ? await adminUserId(db) : request.userId;
  const start = await service.start({ ...byAdmin, ...request, userId });
  if (!start.started) return start;
  return { ...start, ended: await start.finished };
}

async function ended(
  db: AppDatabase,
  request: Partial<SyncRequest> = {},
  options: Partial<DirectorySyncOptions> = {},
) {
  const result = await sync(db, request, options);
  if (!('ended' in result)) throw new Error(`The run did not start: ${result.reason}`);
  return result.ended;
}

async function personByHsaId(db: AppDatabase, hsaId: string) {
  return first(await db.select().from(persons).where(eq(persons.hsaId, hsaId)));
}

async function unitIdsOf(db: AppDatabase, personId: string): Promise<string[]> {
  const rows = await db.select().from(personUnits).where(eq(personUnits.personId, personId));
  return rows.map((row) => row.unitId).sort();
}

/** The DN the directory gives an entry, found by its HSA-id. */
async function dnOf(hsaId: string): Promise<string> {
  const snapshot = await directory().read({ personsModifiedSince: null });
  const entry = [...snapshot.units, ...snapshot.persons].find((candidate) => candidate.hsaId === hsaId);
  if (!entry) throw new Error(`No entry ${hsaId} in the directory`);
  return entry.dn;
}

const unitByKey = (key: string) => {
  const hsaId = dataset.units.find((unit) => unit.name.includes(key))?.hsaId;
  if (!hsaId) throw new Error(`no demo unit ${key}`);
  return hsaId;
};

describe('the directory sync against a real slapd, one region over its life', () => {
  let db: AppDatabase;

  beforeAll(async () => {
    db = await openTestDatabase();
  });

  afterAll(async () => {
    await db?.close();
  });

  it('applies nothing before a system administrator has looked at a preview', async () => {
    const refused = await sync(db);
    expect(refused).toEqual({ started: false, reason: 'preview_first' });
    const scheduled = await sync(db, { userId: null });
    expect(scheduled).toEqual({ started: false, reason: 'preview_first' });
    expect(await db.select().from(persons)).toEqual([]);
  });

  it('previews the whole region as new and writes none of it', async () => {
    const preview = await ended(db, { mode: 'preview' });
    expect(preview.state).toBe('completed');
    expect(preview.kind).toBe('full');
    expect(preview.counts.unit_new).toBe(dataset.units.length);
    expect(preview.counts.person_new).toBe(dataset.persons.length);
    expect(preview.counts.problems).toBe(0);
    expect(preview.report.changes.find((change) => change.hsaId === demoPersons.carina.hsaId)).toEqual({
      kind: 'person_new',
      hsaId: demoPersons.carina.hsaId,
      name: 'Carina Svensson Andersson',
    });
    expect(await db.select().from(persons)).toEqual([]);
    expect(await db.select().from(units)).toEqual([]);
  });

  it('creates every unit and person of the demo region as the seed describes them, and the seed builds on them', async () => {
    const run = await ended(db, {}, { idFor: demoDirectoryIds(now) });
    expect(run.state).toBe('completed');
    expect(run.counts).toMatchObject({ unit_new: dataset.units.length, person_new: dataset.persons.length });
    expect(run.newestModifyTimestamp).toMatch(/^\d{14}Z$/);

    const stored = await db.select().from(units);
    const expectedUnits = dataset.units.map(({ id, hsaId, name, parentId, organisation }) => ({
      id,
      hsaId,
      name,
      parentId,
      organisation,
    }));
    expect(
      stored
        .map(({ id, hsaId, name, parentId, organisation }) => ({ id, hsaId, name, parentId, organisation }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual(expectedUnits.sort((a, b) => a.id.localeCompare(b.id)));
    const storedPersons = await db.select().from(persons);
    expect(storedPersons).toHaveLength(dataset.persons.length);
    for (const person of dataset.persons) {
      expect(storedPersons.find((row) => row.id === person.id)).toMatchObject({
        hsaId: person.hsaId,
        personalIdentityNumber: person.personalIdentityNumber,
        givenName: person.givenName,
        surname: person.surname,
        email: person.email,
        protectedIdentity: person.protectedIdentity ?? false,
        leftAt: null,
        lastSeenSyncRunId: run.id,
      });
    }
    const added = await db
      .select({ count: sql<number>`count(*)` })
      .from(auditEvents)
      .where(eq(auditEvents.action, 'directory_person_added'));
    expect(Number(added[0]?.count)).toBe(dataset.persons.length);

    const summary = await seedDemoData(db, { hashPassword: async () => 'x', now, peopleFromDirectory: true });
    expect(summary.orders).toBeGreaterThan(0);
    expect((await db.select().from(orders)).length).toBe(summary.orders);
  });

  it('changes nothing when the directory has not changed', async () => {
    const run = await ended(db);
    expect(run.state).toBe('completed');
    expect(Object.values(run.counts).every((count) => count === 0)).toBe(true);
  });

  it('finds a changed person in an incremental run of the schedule, reading only what changed', async () => {
    const olof = demoPersons.olof;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await slapd.modify(
      replaceAttributesLdif(await dnOf(olof.hsaId), { sn: 'Lindqvist Berg', mail: 'olof.berg@vgregion.se' }),
    );
    const run = await ended(db, { userId: null }, { watermarkOverlapMs: 0 });
    expect(run.kind).toBe('incremental');
    expect(run.personsModifiedSince).not.toBeNull();
    expect(run.counts.person_changed).toBe(1);
    expect(run.report.changes).toEqual([
      {
        kind: 'person_changed',
        hsaId: olof.hsaId,
        name: 'Olof Lindqvist Berg',
        fields: ['surname', 'email'],
      },
    ]);
    expect(await personByHsaId(db, olof.hsaId)).toMatchObject({
      surname: 'Lindqvist Berg',
      email: 'olof.berg@vgregion.se',
    });
  });

  it('moves a unit where the directory moved it, with its people still placed in it', async () => {
    const kardio = unitByKey('Kardiologi');
    const narhalsan = unitByKey('Närhälsan');
    const kardioId = demoDirectoryIds(now)('unit', kardio) as string;
    const peopleBefore = await db.select().from(personUnits).where(eq(personUnits.unitId, kardioId));
    await slapd.moveEntry(await dnOf(kardio), await dnOf(narhalsan));
    const run = await ended(db);
    expect(run.counts.unit_moved).toBe(1);
    const moved = first(await db.select().from(units).where(eq(units.hsaId, kardio)));
    expect(moved?.parentId).toBe(demoDirectoryIds(now)('unit', narhalsan));
    expect(await db.select().from(personUnits).where(eq(personUnits.unitId, kardioId))).toEqual(peopleBefore);
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.action, 'directory_unit_moved'));
    expect(audit).toHaveLength(1);
  });

  it('places a person in the unit the directory now puts them in, and marks a protected identity', async () => {
    const elsa = demoPersons.elsa;
    const akut = unitByKey('Akutmottagning');
    await slapd.moveEntry(await dnOf(elsa.hsaId), await dnOf(akut));
    await slapd.modify(replaceAttributesLdif(await dnOf(elsa.hsaId), { hsaProtectedPerson: 'TRUE' }));
    const run = await ended(db);
    expect(run.counts).toMatchObject({ person_moved: 1, person_changed: 1 });
    // The report is read by administrators who may not see protected identities.
    expect(
      run.report.changes.filter((change) => change.hsaId === elsa.hsaId).map((change) => change.name),
    ).toEqual([null, null]);
    const stored = await personByHsaId(db, elsa.hsaId);
    expect(stored?.protectedIdentity).toBe(true);
    expect(await unitIdsOf(db, stored?.id as string)).toEqual([demoDirectoryIds(now)('unit', akut)]);
  });

  it('marks a person who left: open orders cancelled with a reason, staff account disabled; nothing deleted', async () => {
    const openOrder = first(
      await db
        .select()
        .from(orders)
        .where(inArray(orders.state, ['placed', 'ready', 'awaiting_second_approval'])),
    );
    const leaver = first(
      await db
        .select()
        .from(persons)
        .where(eq(persons.id, openOrder?.personId as string)),
    );
    const staffLeaver = demoPersons.kontaktSkovde;
    await slapd.delete(await dnOf(leaver?.hsaId as string));
    await slapd.delete(await dnOf(staffLeaver.hsaId));

    const incremental = await ended(db, { userId: null });
    expect(incremental.kind).toBe('incremental');
    expect(incremental.counts.person_left).toBe(0);

    const run = await ended(db);
    expect(run.kind).toBe('full');
    expect(run.counts.person_left).toBe(2);
    expect(run.counts.ordersCancelled).toBeGreaterThanOrEqual(1);
    const stored = await personByHsaId(db, leaver?.hsaId as string);
    expect(stored?.leftAt).toEqual(now);
    const cancelled = first(
      await db
        .select()
        .from(orders)
        .where(eq(orders.id, openOrder?.id as string)),
    );
    expect(cancelled?.state).toBe('cancelled');
    const account = first(await db.select().from(users).where(eq(users.username, 'kontakt.skovde')));
    expect(account?.disabledAt).toEqual(now);
    const left = await db.select().from(auditEvents).where(eq(auditEvents.action, 'directory_person_left'));
    expect(left).toHaveLength(2);

    const again = await ended(db);
    expect(again.counts.person_left).toBe(0);
  });

  it('takes a person back who returns to the directory', async () => {
    const staffLeaver = demoPersons.kontaktSkovde;
    const skas = unitByKey('Skaraborgs');
    await slapd.add(
      personEntryLdif({
        unitDn: await dnOf(skas),
        hsaId: staffLeaver.hsaId,
        givenName: staffLeaver.givenName,
        surname: staffLeaver.surname,
        personalIdentityNumber: staffLeaver.personalIdentityNumber,
        mail: staffLeaver.email,
      }),
    );
    const run = await ended(db);
    expect(run.counts.person_returned).toBe(1);
    expect((await personByHsaId(db, staffLeaver.hsaId))?.leftAt).toBeNull();
  });

  it('reports invalid entries, duplicates and a unit without a parent unit, applies the rest, and keeps the previous data', async () => {
    const akutDn = await dnOf(unitByKey('Akutmottagning'));
    const olofBefore = await personByHsaId(db, demoPersons.olof.hsaId);
    await slapd.modify(
      replaceAttributesLdif(await dnOf(demoPersons.olof.hsaId), { personalIdentityNumber: '197109050001' }),
    );
    const newPerson = (hsaId: string, personalIdentityNumber: string, unitDn = akutDn) =>
      personEntryLdif({ unitDn, hsaId, givenName: 'Test', surname: 'Person', personalIdentityNumber });
    const archiveDn = `ou=Arkiv,${await dnOf(unitByKey('Koncernkontoret'))}`;
    await slapd.add(
      [
        newPerson('TSTNMT2321000156-7001', '19900101-0017'),
        newPerson('TSTNMT2321000156-7002', '19900101-0000'),
        entryLdif(`cn=Ogiltig,${akutDn}`, {
          objectClass: ['inetOrgPerson', 'hsaPerson'],
          cn: 'Ogiltig',
          sn: 'Ogiltig',
          hsaIdentity: 'inte-ett-hsa-id',
        }),
        entryLdif(archiveDn, { objectClass: ['organizationalUnit'], ou: 'Arkiv' }),
        unitEntryLdif({
          parentDn: archiveDn,
          isOrganisation: false,
          hsaId: 'SE2321000131-S000000099999',
          name: 'Enhet utan överordnad',
        }),
      ].join(''),
    );
    // The same HSA-id twice, in two units.
    await slapd.add(newPerson('TSTNMT2321000156-7003', '19900102-0016'));
    await slapd.add(newPerson('TSTNMT2321000156-7003', '19900103-0015', await dnOf(unitByKey('Kardiologi'))));

    const run = await ended(db);
    expect(run.state).toBe('completed');
    const codes = run.report.problems.map((problem) => problem.code).sort();
    expect(codes).toEqual([
      'duplicate_hsa_id',
      'duplicate_hsa_id',
      'invalid_hsa_id',
      'invalid_personal_identity_number',
      'invalid_personal_identity_number',
      'missing_parent_unit',
    ]);
    expect(run.counts.problems).toBe(6);
    expect(run.counts.person_new).toBe(1);
    expect(await personByHsaId(db, 'TSTNMT2321000156-7001')).toBeDefined();
    expect(await personByHsaId(db, 'TSTNMT2321000156-7003')).toBeUndefined();
    expect(
      first(await db.select().from(units).where(eq(units.hsaId, 'SE2321000131-S000000099999'))),
    ).toBeUndefined();
    // Olof's entry is invalid now: his data stays as it was, and he is not taken for a leaver.
    expect(await personByHsaId(db, demoPersons.olof.hsaId)).toEqual(olofBefore);
  });
});

describe('the directory sync when things go wrong', () => {
  let db: AppDatabase;

  beforeAll(async () => {
    db = await openTestDatabase();
  });

  afterAll(async () => {
    await db?.close();
  });

  it('reports an unreachable directory and wrong credentials, and writes nothing', async () => {
    await ended(db, { mode: 'preview' });
    const stopped = await ended(db, {}, { source: directory({ url: 'ldap://127.0.0.1:9' }) });
    expect(stopped).toMatchObject({ state: 'failed', faultCode: 'unreachable' });
    const refused = await ended(db, {}, { source: directory({ bindPassword: 'fel' }) });
    expect(refused).toMatchObject({ state: 'failed', faultCode: 'invalid_credentials' });
    expect(refused.faultMessage).not.toContain('fel');
    expect(await db.select().from(persons)).toEqual([]);
    const audited = await db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'directory_sync_failed'));
    expect(audited.map((event) => event.outcome)).toEqual(['failed', 'failed']);
  });

  it('reports a directory that takes the connection but never answers as too slow, and writes nothing', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const slow = createLdapDirectory({
        url: `ldap://127.0.0.1:${port}`,
        bindDn: slapd.bindDn,
        bindPassword: slapd.bindPassword,
        baseDn: slapd.suffix,
        timeoutMs: 500,
        connectTimeoutMs: 500,
      });
      const run = await ended(db, {}, { source: slow });
      expect(run).toMatchObject({ state: 'failed', faultCode: 'timeout' });
      expect(await db.select().from(persons)).toEqual([]);
    } finally {
      silent.close();
    }
  });

  it('resumes an interrupted run after the last batch it applied, and ends as an uninterrupted run would', async () => {
    const interrupted = await ended(
      db,
      {},
      {
        batchSize: 40,
        afterBatch: (batch) => {
          if (batch === 2) throw new Error('the process was stopped');
        },
      },
    );
    expect(interrupted).toMatchObject({ state: 'interrupted', faultCode: 'interrupted' });
    // The first describe changed the directory: count what it holds now.
    const valid = validateDirectory(await directory().read({ personsModifiedSince: null }), now).persons;
    const applied = (await db.select({ hsaId: persons.hsaId }).from(persons)).map((row) => row.hsaId).sort();
    expect(applied).toEqual(valid.slice(0, 80).map((person) => person.hsaId));
    expect(interrupted.resumeAfterHsaId).toBe(applied[79]);

    const resumed = await ended(db, {}, { batchSize: 40 });
    expect(resumed.id).toBe(interrupted.id);
    expect(resumed.state).toBe('completed');
    expect(resumed.counts.person_new).toBe(valid.length);
    expect(await db.select().from(persons)).toHaveLength(valid.length);
    const added = await db.select().from(auditEvents).where(eq(auditEvents.action, 'directory_person_added'));
    expect(added).toHaveLength(valid.length);
  });

  it('runs one sync at a time, and takes over a run whose process ended', async () => {
    const service = createDirectorySync({ db, source: directory(), logger, now: () => now });
    const userId = await adminUserId(db);
    const [one, two] = await Promise.all([
      service.start({ ...byAdmin, userId }),
      service.start({ ...byAdmin, userId }),
    ]);
    expect([one.started, two.started].sort()).toEqual([false, true]);
    await service.idle();

    await db.insert(directorySyncRuns).values({
      id: 'died-mid-run',
      kind: 'full',
      mode: 'apply',
      state: 'running',
      // Started after the runs above, then nothing for an hour.
      startedAt: new Date(now.getTime() + 1),
      heartbeatAt: new Date(now.getTime() - 3_600_000),
    });
    const takenOver = await ended(db);
    expect(takenOver.id).toBe('died-mid-run');
    expect(takenOver.state).toBe('completed');
    expect((await findRun(db, 'died-mid-run'))?.finishedAt).toEqual(now);
    const running = await db
      .select()
      .from(directorySyncRuns)
      .where(and(eq(directorySyncRuns.state, 'running')));
    expect(running).toEqual([]);
  });
});

describe('the directory sync schedule', () => {
  it('waits for the first applied run, then reads what changed, and the whole directory when a full run is due', async () => {
    const db = await openTestDatabase();
    try {
      let clock = now;
      const service = createDirectorySync({ db, source: directory(), logger, now: () => clock });
      const schedule = await startDirectorySchedule({
        db,
        sync: service,
        logger,
        now: () => clock,
        intervalMs: 3_600_000,
        fullEveryMs: 24 * 3_600_000,
      });
      const kinds = async () =>
        (await db.select().from(directorySyncRuns).orderBy(directorySyncRuns.startedAt)).map(
          (run) => `${run.mode}:${run.kind}:${run.state}`,
        );
      await schedule.runOnce();
      expect(await kinds()).toEqual([]);

      await ended(db, { mode: 'preview' });
      clock = new Date(now.getTime() + 1_000);
      await service.start({ ...byAdmin, userId: await adminUserId(db) });
      await service.idle();
      clock = new Date(now.getTime() + 15 * 60_000);
      await schedule.runOnce();
      clock = new Date(now.getTime() + 25 * 3_600_000);
      await schedule.runOnce();
      await schedule.stop();
      expect(await kinds()).toEqual([
        'preview:full:completed',
        'apply:full:completed',
        'apply:incremental:completed',
        'apply:full:completed',
      ]);
    } finally {
      await db.close();
    }
  });
});
