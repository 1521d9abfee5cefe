import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import {
  type AuditEntry,
  type AuditEventView,
  listAuditEvents,
  recordAudit,
  recordFoldedRefusal,
  refusalFoldWindowMs,
  streamAuditCsv,
} from './audit';
import type { AppDatabase } from './connection';
import { first, isTriggerRefusal, runStatement } from './engine';
import { auditEvents, units } from './schema';
import { seedDemoData } from './seed';
import { expandUnitSubtrees } from './units';

let db: AppDatabase;
let unitIds: { su: string; suAkut: string; skas: string };

beforeEach(async () => {
  db = await openTestDatabase();
  await seedDemoData(db, { hashPassword: async (password) => password });
  const unitId = async (hsaId: string) =>
    first(await db.select().from(units).where(eq(units.hsaId, hsaId)).limit(1))!.id;
  unitIds = {
    su: await unitId('SE2321000131-S000000010100'),
    suAkut: await unitId('SE2321000131-S000000010112'),
    skas: await unitId('SE2321000131-S000000030300'),
  };
});

afterEach(async () => {
  await db.close();
});

const entry = (overrides: Partial<AuditEntry>): AuditEntry => ({
  actorUserId: null,
  actorLabel: 'kontakt',
  action: 'reserve_card_assign',
  objectType: 'card',
  objectId: 'card-1',
  outcome: 'success',
  ...overrides,
});

const all = { scope: 'all' as const };
const page = { page: 1, pageSize: 50 };

describe('recordAudit', () => {
  it('writes inside a transaction and disappears with it when the change is rolled back', async () => {
    const before = (await listAuditEvents(db, all, page)).events.length;
    await expect(
      db.transaction(async (tx) => {
        await recordAudit(tx, entry({ action: 'rolled_back' }));
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    expect((await listAuditEvents(db, all, page)).events.length).toBe(before);
  });

  it('is append-only: the table refuses updates and deletes', async () => {
    await recordAudit(db, entry({}));
    const refusal = async (statement: Promise<void>) =>
      statement.then(
        () => undefined,
        (error) => error,
      );
    expect(isTriggerRefusal(await refusal(runStatement(db, sql`update audit_events set action = 'x'`)))).toBe(
      true,
    );
    expect(isTriggerRefusal(await refusal(runStatement(db, sql`delete from audit_events`)))).toBe(true);
  });
});

describe('listAuditEvents', () => {
  beforeEach(async () => {
    await recordAudit(db, entry({ actorLabel: 'kontakt', unitId: unitIds.suAkut }));
    await recordAudit(db, entry({ actorLabel: 'kontakt', outcome: 'refused', unitId: unitIds.su }));
    await recordAudit(
      db,
      entry({ actorLabel: 'kontakt.skovde', unitId: unitIds.skas, action: 'reserve_card_register' }),
    );
    await recordAudit(
      db,
      entry({ actorLabel: 'idadmin1', action: 'eid_revoke', objectType: 'eid', objectId: 'eid-9' }),
    );
  });

  const actions = (events: AuditEventView[]) => events.map((event) => `${event.actorLabel}:${event.action}`);

  it('lists newest first and filters by actor, action, object and outcome', async () => {
    expect(actions((await listAuditEvents(db, { ...all, actor: 'kontakt' }, page)).events)).toEqual([
      'kontakt:reserve_card_assign',
      'kontakt:reserve_card_assign',
    ]);
    expect((await listAuditEvents(db, { ...all, outcome: 'refused' }, page)).events).toMatchObject([
      { actorLabel: 'kontakt', unitName: 'Sahlgrenska Universitetssjukhuset' },
    ]);
    expect(
      actions((await listAuditEvents(db, { ...all, objectType: 'eid', objectId: 'eid-9' }, page)).events),
    ).toEqual(['idadmin1:eid_revoke']);
    expect(
      actions((await listAuditEvents(db, { ...all, action: 'reserve_card_register' }, page)).events),
    ).toEqual(['kontakt.skovde:reserve_card_register']);
  });

  it('filters by a unit with its sub-units', async () => {
    const filter = { ...all, unitIds: await expandUnitSubtrees(db, [unitIds.su]) };
    expect((await listAuditEvents(db, filter, page)).events.map((event) => event.unitId).sort()).toEqual(
      [unitIds.su, unitIds.suAkut].sort(),
    );
  });

  it('leaves out other units and events of no unit for a reader scoped to units', async () => {
    const events = (await listAuditEvents(db, { scope: [unitIds.skas] }, page)).events;
    expect(actions(events)).toEqual(['kontakt.skovde:reserve_card_register']);
  });

  it('filters by a date range, start inclusive and end exclusive', async () => {
    const newest = (await listAuditEvents(db, all, page)).events[0]!;
    expect(
      (await listAuditEvents(db, { ...all, from: new Date(newest.at) }, page)).events.length,
    ).toBeGreaterThan(0);
    expect((await listAuditEvents(db, { ...all, to: new Date(0) }, page)).events).toEqual([]);
    expect((await listAuditEvents(db, { ...all, from: new Date(newest.at + 60_000) }, page)).events).toEqual(
      [],
    );
  });

  it('pages through the events and says when there are more', async () => {
    const first = await listAuditEvents(db, all, { page: 1, pageSize: 2 });
    const second = await listAuditEvents(db, all, { page: 2, pageSize: 2 });
    const third = await listAuditEvents(db, all, { page: 3, pageSize: 2 });
    expect(first.hasNextPage).toBe(true);
    expect(second.hasNextPage).toBe(true);
    expect(third).toMatchObject({ hasNextPage: false });
    const ids = [...first.events, ...second.events, ...third.events].map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });
});

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await new Response(stream).arrayBuffer());
}

const format = {
  header: ['Tid', 'Utförd av', 'Åtgärd', 'Detaljer'],
  cells: (event: AuditEventView) => [
    String(event.id),
    event.actorLabel,
    event.action,
    event.detail ? JSON.stringify(event.detail) : '',
  ],
};

describe('streamAuditCsv', () => {
  it('starts with a BOM and a header, separates with ; and quotes what needs it', async () => {
    await recordAudit(db, entry({ actorLabel: 'kontakt', detail: { note: 'a;b "c"' } }));
    const text = await readAll(await streamAuditCsv(db, { ...all, actor: 'kontakt' }, format));
    const buffer = new TextEncoder().encode(text);
    expect([...buffer.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = text.slice(1).split('\r\n');
    expect(lines[0]).toBe('Tid;Utförd av;Åtgärd;Detaljer');
    expect(lines[1]).toMatch(/^\d+;kontakt;reserve_card_assign;"\{""note"":""a;b \\""c\\""""\}"$/);
    expect(lines[2]).toBe('');
  });

  it('streams every matching event exactly once, newest first, across many chunks', async () => {
    const bulk = Array.from({ length: 2_345 }, () =>
      entry({ actorLabel: 'bulk', action: 'bulk_action', objectId: null }),
    );
    await db.transaction(async (tx) => {
      for (let start = 0; start < bulk.length; start += 100) {
        await tx.insert(auditEvents).values(bulk.slice(start, start + 100));
      }
    });
    const stream = await streamAuditCsv(db, { ...all, actor: 'bulk' }, format);
    await recordAudit(db, entry({ actorLabel: 'bulk', action: 'bulk_action' }));
    const lines = (await readAll(stream)).trimEnd().split('\r\n').slice(1);
    const ids = lines.map((line) => Number(line.split(';')[0]));
    expect(ids).toHaveLength(2_345);
    expect(new Set(ids).size).toBe(2_345);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });

  it('leaves the connection free between chunks', async () => {
    const reader = (await streamAuditCsv(db, all, format)).getReader();
    await reader.read();
    await expect(recordAudit(db, entry({}))).resolves.toBeUndefined();
    await reader.cancel();
  });
});

describe('recordFoldedRefusal', () => {
  const refusal = (detail: { reason: string; clientAddress: string; personId?: string }) => ({
    actorUserId: null,
    actorLabel: 'anonym',
    action: 'mobile_order_status',
    objectType: 'auth_order',
    detail,
  });
  const rows = async () =>
    await db.select().from(auditEvents).where(eq(auditEvents.action, 'mobile_order_status'));

  it('writes one row per address, reason and person a minute, and again after the minute', async () => {
    const now = new Date();
    const base = { reason: 'not_own_order', clientAddress: '10.0.0.1' };
    expect(await recordFoldedRefusal(db, refusal(base), now)).toBe(true);
    for (let index = 0; index < 50; index++)
      expect(await recordFoldedRefusal(db, refusal(base), now)).toBe(false);
    expect(await recordFoldedRefusal(db, refusal({ ...base, reason: 'invalid_input' }), now)).toBe(true);
    expect(await recordFoldedRefusal(db, refusal({ ...base, clientAddress: '10.0.0.2' }), now)).toBe(true);
    expect(await recordFoldedRefusal(db, refusal({ ...base, personId: 'person-1' }), now)).toBe(true);
    expect(await rows()).toHaveLength(4);
    const later = new Date(now.getTime() + refusalFoldWindowMs + 1000);
    expect(await recordFoldedRefusal(db, refusal(base), later)).toBe(true);
    expect(await rows()).toHaveLength(5);
  });
});
