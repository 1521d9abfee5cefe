import type { Page } from '@playwright/test';
import { eq, ne } from 'drizzle-orm';
import { first } from '../db/engine';
import { orders, persons, personUnits, users } from '../db/schema';
import { demoCards, demoPersons, demoStaffCards } from '../db/seed';
import { demoCardPin, type SithsSystem } from '../test-support/siths-system';
import { expect, test } from './fixtures';
import { logInAndWaitForOverview, systemDatabase } from './helpers';

const carina = demoPersons.carina;
const carinaNumber = `${carina.personalIdentityNumber.slice(0, 8)}-${carina.personalIdentityNumber.slice(8)}`;

async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Logga ut' }).click();
  await expect(page).toHaveURL(/\/logga-in/);
}

async function approve(page: Page, button: string) {
  await page.getByRole('link', { name: button, exact: true }).click();
  await page.getByRole('button', { name: 'Ja, fortsätt' }).click();
}

/** Staff log in with their own card, which takes reader 0 for the time (see eid-staff.spec.ts). */
async function logInWithCard(page: Page, agentUi: Page, system: SithsSystem, serial: string) {
  await system.replaceCard(0, serial);
  await page.goto('/logga-in');
  await page.getByRole('button', { name: 'SITHS eID på denna enhet' }).click();
  await agentUi.getByLabel('Ange säkerhetskod (PIN1)').fill(demoCardPin);
  await agentUi.getByRole('button', { name: 'Legitimera' }).click();
  await expect(page.getByRole('heading', { name: 'Översikt' })).toBeVisible();
}

test.afterEach(async ({ system }) => {
  await system.replaceCard(0, demoCards.lockedOrdinary);
});

test('a manager orders a trust-level-3 reserve card, two different ID-administrators approve it (the second signs), a contact person assigns one from stock', async ({
  page,
  system,
}) => {
  await logInAndWaitForOverview(page, 'chef');
  await page
    .getByRole('navigation', { name: 'Huvudmeny' })
    .getByRole('link', { name: 'Beställningar' })
    .click();
  await page.getByRole('link', { name: 'Ny beställning' }).click();
  await page.getByLabel('Person (HSA-id eller personnummer)').fill(carinaNumber);
  await page.getByLabel('Beställning av').selectOption({ label: 'Reservkort tillitsnivå 3' });
  await page.getByRole('button', { name: 'Lägg beställning' }).click();
  await expect(page.getByRole('heading', { name: /Beställning: Reservkort tillitsnivå 3/ })).toBeVisible();
  await expect(page.getByTestId('order-state')).toHaveText('Lagd');
  await expect(page.getByText(`${carina.givenName} ${carina.surname}`)).toBeVisible();
  const orderUrl = page.url();
  await logOut(page);

  const agentUi = await page.context().newPage();
  await agentUi.goto(system.agentUiUrl);
  await page.bringToFront();
  await logInWithCard(page, agentUi, system, demoStaffCards.idadmin1);
  await page.goto(orderUrl);
  await approve(page, 'Godkänn');
  await expect(page.getByRole('status')).toHaveText('Beställningen är godkänd.');
  await expect(page.getByTestId('order-state')).toHaveText('Väntar på andra godkännande');

  const refused = page.waitForResponse((response) => response.request().method() === 'POST');
  await approve(page, 'Godkänn (andra godkännande)');
  expect((await refused).status()).toBe(403);
  await expect(page.getByRole('alert')).toHaveText(
    'Du har redan gett det första godkännandet. Det andra måste ges av en annan ID-administratör.',
  );
  await page.goto(orderUrl);
  await expect(page.getByTestId('order-state')).toHaveText('Väntar på andra godkännande');
  await logOut(page);

  await logInWithCard(page, agentUi, system, demoStaffCards.idadmin2);
  await page.goto(orderUrl);
  await approve(page, 'Godkänn (andra godkännande)');
  await page.getByRole('button', { name: 'Underteckna med SITHS eID på denna enhet' }).click();
  await expect(page.getByTestId('statement-to-sign')).toContainText('Jag, Fatima Hassan');
  await expect(agentUi.getByText('Jag undertecknar:')).toBeVisible();
  await agentUi.getByLabel('Ange underskriftskod (samma som PIN1)').fill(demoCardPin);
  await agentUi.getByRole('button', { name: 'Underteckna' }).click();
  await expect(page.getByTestId('order-state')).toHaveText('Klar');
  await expect(page.getByTestId('signed-decision')).toContainText('Signerad av Fatima Hassan');
  await expect(page.getByTestId('order-event')).toHaveCount(3);
  await expect(page.getByTestId('order-event').last()).toContainText('Fatima Hassan');
  await logOut(page);

  await logInAndWaitForOverview(page, 'chef');
  await page.goto(`/admin/bestallningar?search=${carina.hsaId}`);
  await expect(page.getByTestId('order-row')).toHaveCount(1);
  await expect(page.getByTestId('order-row')).toContainText('Reservkort tillitsnivå 3');
  await expect(page.getByTestId('order-row')).toContainText('Klar');
  await expect(page.getByTestId('order-row')).toContainText('19840312-****');

  await logOut(page);

  // The ready order now waits for a reserve card: the contact person activates one from stock.
  const orderId = new URL(orderUrl).pathname.split('/').pop()!;
  await logInAndWaitForOverview(page, 'kontakt');
  await page.goto('/admin/reservkort/aktivera');
  await page.getByTestId(`order-${orderId}`).getByRole('link', { name: 'Välj' }).click();
  const cardChoice = page.getByLabel('Reservkort i lager');
  const firstCard = await cardChoice.locator('option').nth(1).getAttribute('value');
  const firstSerial = (await cardChoice.locator('option').nth(1).textContent())!.match(/\d{19}/)![0];
  await cardChoice.selectOption(firstCard!);
  await page.getByRole('button', { name: 'Aktivera reservkort' }).click();
  await expect(page.getByTestId(`card-${firstSerial}`)).toContainText('Tilldelad');
  await page.goto(orderUrl);
  await expect(page.getByTestId('order-state')).toHaveText('Klar');
  await expect(page.getByText(firstSerial, { exact: true })).toBeVisible();
});

test('an ID-administrator pages through a long order list and back by Nästa, Föregående and Första sidan', async ({
  page,
  system,
}) => {
  // The demo orders fit on one page: one person gets 70 old, fulfilled ones (no open order, no count changes).
  const db = await systemDatabase(system);
  const person = first(
    await db
      .select({ id: persons.id, hsaId: persons.hsaId, unitId: personUnits.unitId })
      .from(persons)
      .innerJoin(personUnits, eq(personUnits.personId, persons.id))
      .where(ne(persons.hsaId, carina.hsaId))
      .limit(1),
  )!;
  const placedBy = first(await db.select().from(users).where(eq(users.username, 'chef')).limit(1))!.id;
  const longAgo = Date.UTC(2020, 0, 1);
  await db.insert(orders).values(
    Array.from({ length: 70 }, (_, index) => ({
      id: `e2e-paging-${String(index).padStart(2, '0')}`,
      type: 'reserve_card_loa2' as const,
      state: 'fulfilled' as const,
      personId: person.id,
      unitId: person.unitId,
      placedByUserId: placedBy,
      createdAt: new Date(longAgo + index * 60_000),
      updatedAt: new Date(longAgo + index * 60_000),
    })),
  );
  const expectedTotal = (await db.select().from(orders).where(eq(orders.personId, person.id))).length;
  await db.close();

  await logInAndWaitForOverview(page, 'idadmin1');
  await page.goto(`/admin/bestallningar?search=${person.hsaId}`);
  await expect(page.getByTestId('order-count')).toHaveText(`${expectedTotal} beställningar`);
  const rows = page.getByTestId('order-row');
  await expect(rows).toHaveCount(50);
  const firstRowOnPageOne = await rows.first().textContent();
  const paging = page.getByRole('navigation', { name: 'Bläddra i listan' });
  await expect(paging.getByRole('link', { name: 'Föregående' })).toHaveCount(0);

  await paging.getByRole('link', { name: 'Nästa' }).click();
  await expect(page).toHaveURL(/after=/);
  await expect(rows).toHaveCount(expectedTotal - 50);
  await expect(page.getByTestId('order-count')).toHaveText(`${expectedTotal} beställningar`);
  await expect(paging.getByRole('link', { name: 'Nästa' })).toHaveCount(0);
  await expect(paging.getByRole('link', { name: 'Första sidan' })).toBeVisible();

  await paging.getByRole('link', { name: 'Föregående' }).click();
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toHaveText(firstRowOnPageOne!);
  await expect(paging.getByRole('link', { name: 'Föregående' })).toHaveCount(0);
});
