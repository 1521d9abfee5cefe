import { and, eq } from 'drizzle-orm';
import type { AppDatabase } from '../db/connection';
import { first } from '../db/engine';
import { newId } from '../db/ids';
import { cards, orders, personUnits, units, users } from '../db/schema';
import { luhnCheckDigit } from '../protocol/identifiers';
import { expect, test } from './fixtures';
import { logInAndWaitForOverview, systemDatabase } from './helpers';

const kardiologiHsaId = 'SE2321000131-S000000010127';
const serialBody = '975288877766655544';
const newSerial = `${serialBody}${luhnCheckDigit(serialBody)}`;

test('a contact person registers a reserve card and activates it for a person; another unit cannot touch it', async ({
  page,
  system,
}) => {
  const db = await systemDatabase(system);
  const kardiologi = first(
    await db.select().from(units).where(eq(units.hsaId, kardiologiHsaId)).limit(1),
  )!.id;

  await logInAndWaitForOverview(page, 'kontakt');
  await expect(page.getByTestId('chart-reserve-stock')).toBeVisible();
  await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Reservkort' }).click();
  await expect(page.getByRole('heading', { name: 'Reservkort', exact: true })).toBeVisible();

  const register = page.getByRole('region', { name: 'Registrera reservkort' });
  await register.getByLabel('Serienummer').fill('97523190825441');
  await register.getByLabel('Produktkod').fill('SITHS-RES-2');
  await register.getByLabel('Tillitsnivå').selectOption('2');
  await register.getByLabel('Enhet').selectOption({ label: 'Kardiologi Sahlgrenska' });
  await register.getByRole('button', { name: 'Registrera reservkort' }).click();
  await expect(page.locator('#field-serial-error')).toHaveText('Serienumret ska vara 19 siffror.');

  await register.getByLabel('Serienummer').fill(newSerial);
  await register.getByRole('button', { name: 'Registrera reservkort' }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/reservkort/enhet/${kardiologi}`));
  await expect(page.getByRole('status')).toContainText(newSerial);
  await expect(page.getByTestId(`card-${newSerial}`)).toContainText('I lager');
  const stockBefore = Number(await page.getByTestId('unit-stock-loa2').textContent());

  const orderId = await addReadyReserveOrder(db, kardiologi);
  const cardId = first(await db.select().from(cards).where(eq(cards.serial, newSerial)).limit(1))!.id;
  await page.goto('/admin/reservkort/aktivera');
  await page.getByTestId(`order-${orderId}`).getByRole('link', { name: 'Välj' }).click();
  await page.getByLabel('Reservkort i lager').selectOption(cardId);
  await page.getByRole('button', { name: 'Aktivera reservkort' }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/reservkort/enhet/${kardiologi}\\?tilldelat=`));
  await expect(page.getByTestId(`card-${newSerial}`)).toContainText('Tilldelad');
  await expect(page.getByTestId('unit-stock-loa2')).toHaveText(String(stockBefore - 1));
  expect(first(await db.select().from(orders).where(eq(orders.id, orderId)).limit(1))).toMatchObject({
    state: 'ready',
    cardId,
  });

  await page.getByRole('button', { name: 'Logga ut' }).click();
  await logInAndWaitForOverview(page, 'kontakt.skovde');
  await page.goto('/admin/reservkort');
  await expect(page.getByTestId('stock-SE2321000131-S000000030322')).toBeVisible();
  await expect(page.getByTestId(`stock-${kardiologiHsaId}`)).toHaveCount(0);
  const refused = await page.goto(`/admin/reservkort/enhet/${kardiologi}`);
  expect(refused?.status()).toBe(403);
  await expect(page.getByRole('alert')).toHaveText('Du har inte behörighet för den enheten.');

  const otherOrder = await addReadyReserveOrder(db, kardiologi);
  const sahlgrenskaCard = first(
    await db
      .select()
      .from(cards)
      .where(and(eq(cards.unitId, kardiologi), eq(cards.state, 'in_stock'), eq(cards.trustLevel, 2)))
      .limit(1),
  )!;
  await page.goto('/admin/reservkort/aktivera');
  await expect(page.getByTestId(`order-${otherOrder}`)).toHaveCount(0);
  const attempt = await page.request.post(
    '/admin/reservkort/aktivera?_data=routes/admin.reservkort_.aktivera',
    {
      form: { orderId: otherOrder, cardId: sahlgrenskaCard.id },
    },
  );
  expect(attempt.status()).toBe(403);
  expect(first(await db.select().from(cards).where(eq(cards.id, sahlgrenskaCard.id)).limit(1))!.state).toBe(
    'in_stock',
  );
  await db.close();
});

/** The demo data has no approved reserve-card order without a card, so the test places one directly. */
async function addReadyReserveOrder(db: AppDatabase, unitId: string): Promise<string> {
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
