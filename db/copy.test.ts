/**
 * db:copy: a region's SQLite database copied into an empty PostgreSQL database (and, as a cheap check of the
 * same code, into an empty SQLite file). The PostgreSQL here is a throwaway cluster of this file's own.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asc, count, eq, is, max, sql } from 'drizzle-orm';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgresServer } from '../test-support/postgres-server';
import { recordAudit } from './audit';
import { type AppDatabase, openDatabase } from './connection';
import { copyDatabase, TargetNotEmptyError } from './copy';
import { causeChain, first, isTriggerRefusal, runStatement } from './engine';
import * as schema from './schema';
import {
  agentChallenges,
  agentEnrolmentCodes,
  agentSessions,
  agents,
  assistedUnlocks,
  auditEvents,
  authOrders,
  cards,
  certificateAuthorities,
  directorySyncRuns,
  jobSteps,
  jobs,
  mailOutbox,
  mobileEnrolments,
  orderEvents,
  orders,
  persons,
  reminderDeliveries,
  sessions,
  signedDecisions,
  supportCodes,
  units,
  users,
} from './schema';
import { demoAgentId, demoRootUnitHsaId, seedDemoData } from './seed';

const run = promisify(execFile);
const repository = join(import.meta.dirname, '..');

const schemaTables = (Object.values(schema) as unknown[]).filter((value): value is SQLiteTable =>
  is(value, SQLiteTable),
);
const tableNames = schemaTables.map((table) => getTableConfig(table).name).sort();

/** Every row of every table, in primary-key order, as JSON: what must read the same on both sides. */
async function dump(db: AppDatabase): Promise<Record<string, string>> {
  const tablesAsJson: Record<string, string> = {};
  for (const table of schemaTables) {
    const config = getTableConfig(table);
    const key = config.primaryKeys[0]?.columns ?? config.columns.filter((column) => column.primary);
    const rows = await db
      .select()
      .from(table)
      .orderBy(...key.map((column) => asc(column)));
    tablesAsJson[config.name] = JSON.stringify(rows);
  }
  return tablesAsJson;
}

async function rowCounts(db: AppDatabase): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of schemaTables) {
    counts[getTableConfig(table).name] = first(await db.select({ rows: count() }).from(table))?.rows ?? 0;
  }
  return counts;
}

/** The demo region plus a row in every table the demo leaves empty, and some more history. */
async function fillSource(db: AppDatabase): Promise<void> {
  await seedDemoData(db, {
    hashPassword: async (password) => `not-a-hash:${password}`,
    now: new Date('2026-11-02T08:00:00.000Z'),
  });
  const root = first(await db.select().from(units).where(eq(units.hsaId, demoRootUnitHsaId)).limit(1));
  const person = first(await db.select().from(persons).orderBy(persons.id).limit(1));
  const user = first(await db.select().from(users).orderBy(users.id).limit(1));
  const card = first(await db.select().from(cards).orderBy(cards.id).limit(1));
  const order = first(await db.select().from(orders).orderBy(orders.id).limit(1));
  if (!root || !person || !user || !card || !order) throw new Error('the demo data is missing rows');
  const at = new Date('2026-11-20T09:30:00.123Z');

  await db.transaction(async (tx) => {
    // Ids that sort before their parents': the copy must still write each parent first.
    await tx.insert(units).values({
      id: '00000000-0000-4000-8000-000000000002',
      hsaId: 'SE2321000131-E000000009001',
      name: 'Kopieringsenhet',
      parentId: root.id,
      organisation: root.organisation,
    });
    await tx.insert(units).values({
      id: '00000000-0000-4000-8000-000000000001',
      hsaId: 'SE2321000131-E000000009002',
      name: 'Kopieringsenhet, underenhet',
      parentId: '00000000-0000-4000-8000-000000000002',
      organisation: root.organisation,
    });
    for (let index = 0; index < 1_200; index++) {
      await recordAudit(tx, {
        actorUserId: index % 2 === 0 ? user.id : null,
        actorLabel: index % 2 === 0 ? user.username : 'system',
        action: 'copy_test_event',
        objectType: 'order',
        objectId: order.id,
        unitId: index % 3 === 0 ? root.id : null,
        outcome: index % 5 === 0 ? 'refused' : 'success',
        detail:
          index % 4 === 0 ? undefined : { index, text: 'Åsa "citat" \\ ny\nrad', nested: { list: [1, 2] } },
      });
    }
    for (let index = 0; index < 30; index++) {
      await tx.insert(orderEvents).values({
        orderId: order.id,
        actorUserId: user.id,
        fromState: 'placed',
        toState: 'placed',
        note: `anteckning ${index}`,
        at: new Date(at.getTime() + index),
      });
    }
    await tx.insert(sessions).values({
      id: 'copy-test-session',
      userId: user.id,
      expiresAt: at.getTime() + 3_600_000,
      loginMethod: 'card',
      loginCredential: card.serial,
    });
    await tx.insert(agentSessions).values({
      id: 'copy-test-agent-session',
      agentId: demoAgentId,
      connectedAt: at,
      remoteAddress: '127.0.0.1',
      agentVersion: '1.2.3',
      hostname: 'copy-test-host',
      os: 'Debian GNU/Linux 12',
    });
    await tx.insert(agentEnrolmentCodes).values({
      id: 'copy-test-enrolment-code',
      codeHash: 'b'.repeat(64),
      computerName: 'Mottagningen 3',
      usesAllowed: 1,
      uses: 1,
      createdByUserId: user.id,
      createdAt: at,
      expiresAt: at,
    });
    await tx.insert(agents).values({
      id: 'copy-test-enrolled-agent',
      name: 'Mottagningen 3',
      deviceTokenHash: `key:${'c'.repeat(64)}`,
      publicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE',
      enrolledAt: at,
      enrolmentCodeId: 'copy-test-enrolment-code',
      enrolledByUserId: user.id,
      revokedAt: at,
      revokedByUserId: user.id,
    });
    await tx.insert(agentChallenges).values({
      id: 'copy-test-agent-challenge',
      agentId: 'copy-test-enrolled-agent',
      challenge: 'd'.repeat(43),
      expiresAt: at,
    });
    await tx.insert(supportCodes).values({
      id: 'copy-test-support-code',
      codeHash: 'a'.repeat(64),
      agentId: demoAgentId,
      agentSessionId: 'copy-test-agent-session',
      createdAt: at,
      expiresAt: at,
      usedAt: at,
    });
    await tx.insert(assistedUnlocks).values({
      id: 'copy-test-assisted-unlock',
      supportCodeId: 'copy-test-support-code',
      agentId: demoAgentId,
      agentSessionId: 'copy-test-agent-session',
      personId: person.id,
      staffUserId: user.id,
      state: 'succeeded',
      pairedAt: at,
      identityCheckMethod: 'id_document',
      documentType: 'passport',
      documentNumberEnd: '1234',
      identityCheckedAt: at,
      cardId: card.id,
    });
    await tx.insert(jobs).values({
      id: 'copy-test-job',
      assistedUnlockId: 'copy-test-assisted-unlock',
      kind: 'unlock',
      state: 'succeeded',
      agentId: demoAgentId,
      agentSessionId: 'copy-test-agent-session',
      cardSerial: card.serial,
      personId: person.id,
      createdByUserId: user.id,
      createdBySessionId: 'copy-test-session',
      eidOrderId: order.id,
      challenge: 'Y2hhbGxlbmdl',
      issuedCertificates: { authentication: 'QQ==', signature: 'Qg==', cardAuthentication: 'Qw==' },
      progress: 100,
      lastSequence: 2,
      finishedAt: at,
    });
    await tx.insert(jobSteps).values([
      { jobId: 'copy-test-job', sequence: 1, step: 'select', outcome: 'started', at, progress: 10 },
      {
        jobId: 'copy-test-job',
        sequence: 2,
        step: 'select',
        outcome: 'succeeded',
        detail: { reader: 'Virtual PCD 00 00' },
        at,
        durationMs: 12,
        progress: 100,
      },
    ]);
    await tx.insert(authOrders).values({
      id: 'copy-test-auth-order',
      purpose: 'login',
      method: 'card',
      state: 'collected',
      collectSecretHash: 'aa',
      autoStartTokenHash: 'bb',
      challenge: 'Y2g=',
      personId: person.id,
      cardSerial: card.serial,
      agentId: demoAgentId,
      expiresAt: at,
      completedAt: at,
    });
    await tx.insert(authOrders).values({
      id: 'copy-test-signing-order',
      purpose: 'sign_decision',
      method: 'card',
      state: 'collected',
      collectSecretHash: 'dd',
      autoStartTokenHash: 'ee',
      challenge: 'Y2g=',
      expectedPersonId: person.id,
      personId: person.id,
      cardSerial: card.serial,
      statement: 'Jag, Åsa Öberg, spärrar SITHS-kort.\nReferens: copy-test-signing-order',
      signature: 'c2lnbmF0dXI=',
      signerCertificate: 'Y2VydA==',
      expiresAt: at,
      completedAt: at,
    });
    const [signedAudit] = await tx
      .insert(auditEvents)
      .values({
        actorUserId: user.id,
        actorLabel: user.username,
        action: 'decision_signed',
        objectType: 'card',
        objectId: card.id,
        outcome: 'success',
      })
      .returning({ id: auditEvents.id });
    await tx.insert(signedDecisions).values({
      id: 'copy-test-signed-decision',
      kind: 'revocation',
      objectType: 'card',
      objectId: card.id,
      statement: 'Jag, Åsa Öberg, spärrar SITHS-kort.\nReferens: copy-test-signing-order',
      signature: 'c2lnbmF0dXI=',
      certificateDer: 'Y2VydA==',
      signerUserId: user.id,
      signerPersonId: person.id,
      method: 'card',
      credential: card.serial,
      authOrderId: 'copy-test-signing-order',
      auditEventId: signedAudit!.id,
      signedAt: at,
    });
    await tx.insert(mobileEnrolments).values({
      id: 'copy-test-enrolment',
      personId: person.id,
      tokenHash: 'cc',
      sessionId: 'copy-test-session',
      expiresAt: at,
    });
    await tx.insert(certificateAuthorities).values([
      { id: 'copy-test-root', name: 'Rot', certificatePem: 'PEM', encryptedPrivateKey: 'KEY' },
      {
        id: 'copy-test-issuing',
        parentId: 'copy-test-root',
        name: 'Utfärdare',
        certificatePem: 'PEM',
        encryptedPrivateKey: 'KEY',
        nextCrlNumber: 7,
      },
    ]);
    await tx.insert(mailOutbox).values([
      { recipient: 'a@example.org', subject: 'Ett', textBody: 'text', sentAt: at, attempts: 1 },
      {
        recipient: 'b@example.org',
        subject: 'Två',
        textBody: 'text',
        htmlBody: '<p>text</p>',
        lastError: 'x',
      },
    ]);
    const [mail] = await tx.select({ id: mailOutbox.id }).from(mailOutbox).limit(1);
    await tx.insert(reminderDeliveries).values({
      kind: 'reserve_stock_low',
      subjectId: root.id,
      period: '2026-11-20',
      mailId: mail?.id ?? null,
      sentAt: at,
    });
    await tx.insert(directorySyncRuns).values({
      id: 'copy-test-sync-run',
      kind: 'full',
      mode: 'apply',
      state: 'completed',
      startedByUserId: user.id,
      newestModifyTimestamp: '20261120093000Z',
      counts: '{"new":1}',
      startedAt: at,
      heartbeatAt: at,
      finishedAt: at,
    });
  });
}

describe.skipIf(process.env.TEST_DATABASE_ENGINE === 'postgres')('db:copy', () => {
  let server: PostgresServer;
  let folder: string;
  let sourcePath: string;
  let source: AppDatabase;
  let targets = 0;
  const opened: AppDatabase[] = [];

  /** A new migrated PostgreSQL database of the throwaway cluster. */
  async function emptyPostgres(): Promise<string> {
    targets += 1;
    return server.createDatabase(`copy_target_${targets}`, { template: 'copy_template' });
  }

  async function open(url: string): Promise<AppDatabase> {
    const db = await openDatabase(url);
    opened.push(db);
    return db;
  }

  beforeAll(async () => {
    server = await startPostgresServer();
    await (await openDatabase(await server.createDatabase('copy_template'))).close();
    folder = mkdtempSync(join(tmpdir(), 'siths-desk-copy-'));
    sourcePath = join(folder, 'region.sqlite');
    source = await open(sourcePath);
    await fillSource(source);
  });

  afterAll(async () => {
    for (const db of opened) await db.close();
    await server?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('the source holds rows in every table, so the comparisons below cover them all', async () => {
    const counts = await rowCounts(source);
    expect(Object.keys(counts).sort()).toEqual(tableNames);
    expect(tableNames).toHaveLength(27);
    expect(Object.entries(counts).filter(([, rows]) => rows === 0)).toEqual([]);
  });

  it('copies every row of every table into an empty PostgreSQL, ids and history unchanged', async () => {
    const target = await open(await emptyPostgres());
    const sourceCounts = await rowCounts(source);

    const counts = await copyDatabase(source, target);

    expect(counts.map((entry) => entry.table).sort()).toEqual(tableNames);
    for (const entry of counts) {
      expect(entry, entry.table).toEqual({
        table: entry.table,
        source: sourceCounts[entry.table],
        target: sourceCounts[entry.table],
      });
    }
    expect(await rowCounts(target)).toEqual(sourceCounts);
    const [copied, original] = [await dump(target), await dump(source)];
    for (const name of tableNames) expect(copied[name], name).toBe(original[name]);

    // Still append-only.
    const refusal = await target
      .update(auditEvents)
      .set({ action: 'rewritten' })
      .where(eq(auditEvents.id, 1))
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(isTriggerRefusal(refusal)).toBe(true);

    // New history continues after the copied ids.
    const highest = async (db: AppDatabase, column: typeof auditEvents.id | typeof orderEvents.id) =>
      first(await db.select({ id: max(column) }).from(column.table))?.id ?? 0;
    const copiedAudit = await highest(source, auditEvents.id);
    const copiedOrderEvents = await highest(source, orderEvents.id);
    await recordAudit(target, {
      actorUserId: null,
      actorLabel: 'system',
      action: 'after_copy',
      objectType: 'database',
      outcome: 'success',
    });
    const order = first(await target.select({ id: orders.id }).from(orders).limit(1));
    await target.insert(orderEvents).values({ orderId: order?.id ?? '', toState: 'placed' });
    expect(await highest(target, auditEvents.id)).toBe(copiedAudit + 1);
    expect(await highest(target, orderEvents.id)).toBe(copiedOrderEvents + 1);

    // A second copy into the same database is refused before it writes.
    const before = await rowCounts(target);
    await expect(copyDatabase(source, target)).rejects.toBeInstanceOf(TargetNotEmptyError);
    expect(await rowCounts(target)).toEqual(before);
  });

  it('leaves the target empty when a write fails half way', async () => {
    const target = await open(await emptyPostgres());
    // The last table in foreign-key order refuses rows: everything before it was already written.
    await runStatement(
      target,
      sql.raw(`create function refuse_for_test() returns trigger language plpgsql as $$
                 begin raise exception 'refused for the test'; end $$;
               create trigger refuse_for_test before insert on mail_outbox
                 for each row execute function refuse_for_test()`),
    );

    const failure = await copyDatabase(source, target).then(
      () => null,
      (error: unknown) => error,
    );
    expect(causeChain(failure).map((link) => (link as Error).message)).toContain('refused for the test');

    expect(Object.values(await rowCounts(target)).every((rows) => rows === 0)).toBe(true);
    // The source's transaction has ended: it takes writes again.
    await recordAudit(source, {
      actorUserId: null,
      actorLabel: 'system',
      action: 'after_failed_copy',
      objectType: 'database',
      outcome: 'success',
    });
  });

  it('copies into an empty SQLite file as well, two rows at a time (parents before children across batches)', async () => {
    const target = await open(join(folder, 'copy.sqlite'));

    const counts = await copyDatabase(source, target, { batchSize: 2 });

    expect(counts.every((entry) => entry.source === entry.target && entry.source > 0)).toBe(true);
    const [copied, original] = [await dump(target), await dump(source)];
    for (const name of tableNames) expect(copied[name], name).toBe(original[name]);
  });

  it('reads a PostgreSQL source as well', async () => {
    const postgres = await open(await emptyPostgres());
    await copyDatabase(source, postgres);
    const target = await open(join(folder, 'from-postgres.sqlite'));

    await copyDatabase(postgres, target);

    const [copied, original] = [await dump(target), await dump(source)];
    for (const name of tableNames) expect(copied[name], name).toBe(original[name]);
  });

  describe('npm run db:copy', () => {
    const copyCli = (args: string[]) =>
      run(join(repository, 'node_modules/.bin/tsx'), ['db/copy-cli.ts', ...args], {
        cwd: repository,
        env: { ...process.env, DATABASE_URL: '' },
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );

    it('copies the file into PostgreSQL and prints the same counts for both sides', async () => {
      const url = await emptyPostgres();
      const sourceCounts = await rowCounts(source);

      const { code, stdout, stderr } = await copyCli(['--from', sourcePath, '--to', url]);

      expect(stderr).toBe('');
      expect(code).toBe(0);
      const printed = Object.fromEntries(
        [...stdout.matchAll(/^(\w+) +(\d+) +(\d+)$/gm)].map(([, table, from, to]) => [
          table,
          { source: Number(from), target: Number(to) },
        ]),
      );
      expect(printed).toEqual(
        Object.fromEntries(
          tableNames.map((name) => [name, { source: sourceCounts[name], target: sourceCounts[name] }]),
        ),
      );
      expect(stdout).toMatch(/^Copied \d+ rows from .* to postgres:\/\/.* in [\d.]+ s \(\d+ rows\/s\)\.$/m);
      const target = await open(url);
      expect(await rowCounts(target)).toEqual(sourceCounts);

      // The same target again: refused in one line, nothing written.
      const again = await copyCli(['--from', sourcePath, '--to', url]);
      expect(again.code).toBe(1);
      expect(again.stdout).toBe('');
      expect(again.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(again.stderr).toMatch(
        /^db:copy: The target database is not empty \(rows in \w+, \w+, \w+ and 24 more tables\): db:copy only copies into an empty database\.$/m,
      );
      expect(await rowCounts(target)).toEqual(sourceCounts);
    }, 120_000);

    it('refuses a source file that does not exist, without creating it', async () => {
      const missing = join(folder, 'missing.sqlite');
      const { code, stderr } = await copyCli(['--from', missing, '--to', server.url('never_created')]);
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(`db:copy: There is no SQLite database at ${missing} to copy.`);
      expect(existsSync(missing)).toBe(false);
    }, 60_000);
  });
});
