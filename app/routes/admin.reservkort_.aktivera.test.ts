import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '~/auth/password.server';
import { translator } from '~/i18n/catalogue';
import { callRoute } from '~/testing/route-harness';
import { type AppDatabase, openDatabase } from '../../db/connection';
import { first } from '../../db/engine';
import { newId } from '../../db/ids';
import { listStock } from '../../db/reserve-card-stock';
import { orders, personUnits, units, users } from '../../db/schema';
import { seedDemoData } from '../../db/seed';
import { createTestLoadContext } from '../../server/testing/load-context';
import { createTestDatabaseLocation, type TestDatabaseLocation } from '../../test-support/test-database';
import { action } from './admin.reservkort_.aktivera';

let location: TestDatabaseLocation;
let firstConnection: AppDatabase;
let secondConnection: AppDatabase;
beforeAll(async () => {
  location = await createTestDatabaseLocation();
  firstConnection = await openDatabase(location.url);
  await seedDemoData(firstConnection, { hashPassword });
  secondConnection = await openDatabase(location.url);
});
afterAll(async () => {
  await firstConnection.close();
  await secondConnection.close();
  await location.remove();
});

async function readyOrder(db: AppDatabase, unitId: string): Promise<string> {
  const personId = first(
    await db.select().from(personUnits).where(eq(personUnits.unitId, unitId)).limit(1),
  )!.personId;
  const placedBy = first(await db.select().from(users).where(eq(users.username, 'kontakt')).limit(1))!.id;
  const id = newId();
  await db
    .insert(orders)
    .values({ id, type: 'reserve_card_loa2', state: 'ready', personId, unitId, placedByUserId: placedBy });
  return id;
}

async function assignRequest(db: AppDatabase, username: string, form: Record<string, string>) {
  const context = createTestLoadContext(db);
  const userId = first(await db.select().from(users).where(eq(users.username, username)).limit(1))!.id;
  const cookie = (await context.sessions.create({ userId, loginMethod: 'password' })).cookie.split(';')[0]!;
  const request = new Request('http://localhost/admin/reservkort/aktivera', {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { request, context };
}

it('gives the card to exactly one of two contact persons assigning it at once; the other gets 409 in Swedish', async () => {
  const kardiologi = first(
    await firstConnection.select().from(units).where(eq(units.hsaId, 'SE2321000131-S000000010127')).limit(1),
  )!.id;
  const cardId = (await listStock(firstConnection, kardiologi, { state: 'in_stock', trustLevel: 2 }))[0]!.id;
  const calls = [
    await assignRequest(firstConnection, 'kontakt', {
      orderId: await readyOrder(firstConnection, kardiologi),
      cardId,
    }),
    await assignRequest(secondConnection, 'kontakt', {
      orderId: await readyOrder(secondConnection, kardiologi),
      cardId,
    }),
  ];
  const outcomes = await Promise.all(
    calls.map(({ request, context }) => callRoute(action, request, context)),
  );
  expect(outcomes.map((outcome) => outcome.status).sort()).toEqual([302, 409]);
  const loser = outcomes.find((outcome) => outcome.status === 409)!;
  const key = (loser.data as { errors: { cardId: string } }).errors.cardId;
  expect(translator('sv')(key as never)).toBe(
    'Kortet finns inte längre i lager: det har just tilldelats någon annan eller dragits tillbaka. Välj ett annat kort.',
  );
  expect(await firstConnection.select().from(orders).where(eq(orders.cardId, cardId))).toHaveLength(1);
});
