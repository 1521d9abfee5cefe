import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '~/auth/password.server';
import { translator } from '~/i18n/catalogue';
import { callRoute } from '~/testing/route-harness';
import { type AppDatabase, openDatabase, openMigratedDatabase } from '../../db/connection';
import { newId } from '../../db/ids';
import { listStock } from '../../db/reserve-cards';
import { orders, personUnits, units, users } from '../../db/schema';
import { seedDemoData } from '../../db/seed';
import { createTestLoadContext } from '../../server/testing/load-context';
import { action } from './admin.reservkort_.aktivera';

let directory: string;
let first: AppDatabase;
let second: AppDatabase;
beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'reserve-assign-'));
  const path = join(directory, 'assign.sqlite');
  first = openMigratedDatabase(path);
  await seedDemoData(first, { hashPassword });
  second = openDatabase(path);
});
afterAll(() => {
  first.$client.close();
  second.$client.close();
  rmSync(directory, { recursive: true, force: true });
});

function readyOrder(db: AppDatabase, unitId: string): string {
  const personId = db.select().from(personUnits).where(eq(personUnits.unitId, unitId)).get()!.personId;
  const placedBy = db.select().from(users).where(eq(users.username, 'kontakt')).get()!.id;
  const id = newId();
  db.insert(orders)
    .values({ id, type: 'reserve_card_loa2', state: 'ready', personId, unitId, placedByUserId: placedBy })
    .run();
  return id;
}

async function assignRequest(db: AppDatabase, username: string, form: Record<string, string>) {
  const context = createTestLoadContext(db);
  const userId = db.select().from(users).where(eq(users.username, username)).get()!.id;
  const cookie = (await context.sessions.create({ userId, loginMethod: 'password' })).cookie.split(';')[0]!;
  const request = new Request('http://localhost/admin/reservkort/aktivera', {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { request, context };
}

it('gives the card to exactly one of two contact persons assigning it at once; the other gets 409 in Swedish', async () => {
  const kardiologi = first
    .select()
    .from(units)
    .where(eq(units.hsaId, 'SE2321000131-S000000010127'))
    .get()!.id;
  const cardId = listStock(first, kardiologi, { state: 'in_stock', trustLevel: 2 })[0]!.id;
  const calls = await Promise.all([
    assignRequest(first, 'kontakt', { orderId: readyOrder(first, kardiologi), cardId }),
    assignRequest(second, 'kontakt', { orderId: readyOrder(second, kardiologi), cardId }),
  ]);
  const outcomes = await Promise.all(
    calls.map(({ request, context }) => callRoute(action, request, context)),
  );
  expect(outcomes.map((outcome) => outcome.status).sort()).toEqual([302, 409]);
  const loser = outcomes.find((outcome) => outcome.status === 409)!;
  const key = (loser.data as { errors: { cardId: string } }).errors.cardId;
  expect(translator('sv')(key as never)).toBe(
    'Kortet finns inte längre i lager: det har just tilldelats någon annan eller dragits tillbaka. Välj ett annat kort.',
  );
  expect(first.select().from(orders).where(eq(orders.cardId, cardId)).all()).toHaveLength(1);
});
