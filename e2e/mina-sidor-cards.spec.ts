import type { Page } from '@playwright/test';
import { eq, sql } from 'drizzle-orm';
import { first, queryRows } from '../db/engine';
import { cards } from '../db/schema';
import { demoCards } from '../db/seed';
import { insertVirtualCard, type VirtualCardProcess } from '../test-support/pcscd';
import { demoCardPin } from '../test-support/siths-system';
import { expect, test } from './fixtures';
import { systemDatabase } from './helpers';
import { captureScreen } from './screens';

/**
 * Mina sidor with a card in this computer's reader: the guide "Aktivera ditt reservkort" screen by screen,
 * Felkod 2004 and 2006, and card login, through the real SITHS eID-app, pcscd and virtual cards.
 * The worker's locked card sits in reader 0; the card under test goes into reader 1. Each screen of the
 * guide is saved (e2e/screens.ts).
 */
test.describe.configure({ mode: 'serial' });

let card: VirtualCardProcess | undefined;

async function insertInReader1(cardStateDir: string, serial: string) {
  await card?.remove().catch(() => {});
  card = await insertVirtualCard({ stateDir: cardStateDir, serial, slot: 1 });
}

test.afterEach(async () => {
  await card?.remove().catch(() => {});
  card = undefined;
});

async function openAgentUi(page: Page, url: string) {
  const agentUi = await page.context().newPage();
  await agentUi.goto(url);
  return agentUi;
}

async function typePin(agentUi: Page, pin = demoCardPin) {
  await agentUi.getByLabel('Ange säkerhetskod (PIN1)').fill(pin);
  await agentUi.getByRole('button', { name: /Legitimera|Aktivera/ }).click();
}

async function logInWithCardOnThisDevice(page: Page, agentUi: Page, baseUrl: string) {
  await page.goto('/mina-sidor');
  await page.getByRole('link', { name: 'LOGGA IN' }).click();
  await page.getByRole('button', { name: 'SITHS eID på denna enhet' }).click();
  await expect(agentUi.getByText(`Jag legitimerar mig hos ${baseUrl}`)).toBeVisible();
  await typePin(agentUi);
}

test('Felkod 2004: LOGGA IN with a reserve card that is not activated', async ({
  page,
  system,
}, testInfo) => {
  await insertInReader1(system.cardStateDir, demoCards.reserveNotActivated);
  const agentUi = await openAgentUi(page, system.agentUiUrl);
  await logInWithCardOnThisDevice(page, agentUi, system.baseUrl);
  await expect(page.getByText('2004', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Ej aktiverat reservkort' })).toBeVisible();
  await expect(
    page.getByText('Du måste aktivera ditt Reservkort innan du kan logga in med det'),
  ).toBeVisible();
  await captureScreen(
    page,
    testInfo,
    'aktivera-reservkort',
    '07-felkod-2004',
    'Felkod 2004: ej aktiverat reservkort',
  );
  await page.getByRole('link', { name: 'ÅTERGÅ TILL START' }).click();
  await expect(page.getByRole('button', { name: 'AKTIVERA DITT RESERVKORT' })).toBeVisible();
});

test('Felkod 2006: a reserve card with no order cannot be registered', async ({ page, system }, testInfo) => {
  await insertInReader1(system.cardStateDir, demoCards.reserveNoOrder);
  const agentUi = await openAgentUi(page, system.agentUiUrl);
  await page.goto('/mina-sidor');
  await page.getByRole('button', { name: 'AKTIVERA DITT RESERVKORT' }).click();
  await expect(agentUi.getByText('Ditt kort behöver registreras')).toBeVisible();
  await expect(agentUi.getByText(demoCards.reserveNoOrder)).toBeVisible();
  await typePin(agentUi);
  await expect(page.getByText('2006', { exact: true })).toBeVisible();
  await expect(page.getByText('Kontakta din chef eller kontaktperson på enheten.')).toBeVisible();
  await captureScreen(
    page,
    testInfo,
    'aktivera-reservkort',
    '08-felkod-2006',
    'Felkod 2006: beställning av SITHS eID saknas',
  );
  const db = await systemDatabase(system);
  try {
    const row = first(
      await db
        .select({ state: cards.state })
        .from(cards)
        .where(eq(cards.serial, demoCards.reserveNoOrder))
        .limit(1),
    );
    expect(row?.state).toBe('in_stock');
  } finally {
    await db.close();
  }
});

test('AKTIVERA DITT RESERVKORT: register, terms, AKTIVERA, AVBRYT, again, progress, done with the issued eID, then log in with it', async ({
  page,
  system,
}, testInfo) => {
  test.setTimeout(180_000);
  const screen = (on: Page, name: string, caption: string) =>
    captureScreen(on, testInfo, 'aktivera-reservkort', name, caption);
  await insertInReader1(system.cardStateDir, demoCards.reserveNotActivated);
  const agentUi = await openAgentUi(page, system.agentUiUrl);
  await page.goto('/mina-sidor');
  await screen(page, '01-start', 'SITHS Mina sidor: välj AKTIVERA DITT RESERVKORT');
  await page.getByRole('button', { name: 'AKTIVERA DITT RESERVKORT' }).click();

  await expect(agentUi.getByText('Ditt kort behöver registreras')).toBeVisible();
  await screen(agentUi, '02-app-registrera', 'SITHS eID-appen: ditt kort behöver registreras');
  await typePin(agentUi);
  await expect(agentUi.getByText(`Jag legitimerar mig hos ${system.baseUrl}`)).toBeVisible();
  await screen(agentUi, '03-app-legitimera', 'SITHS eID-appen: jag legitimerar mig');
  await typePin(agentUi);

  await expect(page.getByRole('heading', { name: 'Aktivera reservkort' })).toBeVisible();
  await expect(page.getByText(`Serienummer ${demoCards.reserveNotActivated}`)).toBeVisible();
  await expect(page.getByRole('heading', { name: 'SITHS eID som kommer att hämtas' })).toBeVisible();
  await expect(
    page.getByRole('heading', { name: 'Villkor för SITHS e-legitimation till SITHS eID kort' }),
  ).toBeVisible();
  await expect(
    page.getByText('Kortet måste sitta kvar i kortläsaren tills aktiveringen är genomförd!'),
  ).toBeVisible();
  await screen(page, '04-villkor', 'Aktivera reservkort: SITHS eID som kommer att hämtas, villkor, AKTIVERA');
  await page.getByRole('button', { name: 'AKTIVERA' }).click();

  // The app asks for the code: the page says so at once (not "Startar"), offers AVBRYT, and its menu waits.
  await expect(page.getByRole('heading', { name: 'Aktivering startad' })).toBeVisible();
  await expect(agentUi.getByLabel('Ange säkerhetskod (PIN1)')).toBeVisible();
  const progress = page.getByRole('progressbar', { name: 'Förlopp' });
  await expect(progress).toContainText('Ange koden i SITHS eID-appen');
  await expect(page.getByText('Startar SITHS eID-appen på den här datorn …')).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Mina sidor' }).getByRole('link')).toHaveCount(0);
  await page.getByRole('button', { name: 'AVBRYT' }).click();
  await expect(page.getByRole('alert')).toHaveText('Avbrutet. Du kan börja om när du vill.');
  await expect(agentUi.getByText('Klar att användas')).toBeVisible();
  await expect(agentUi.getByLabel('Ange säkerhetskod (PIN1)')).toBeHidden();
  const db = await systemDatabase(system);
  try {
    const [cancelled] = await queryRows(
      db,
      sql`select j.state from jobs j join cards c on c.serial = j.card_serial
          where c.serial = ${demoCards.reserveNotActivated} and j.kind = 'activate'`,
    );
    expect(cancelled).toEqual({ state: 'cancelled' });
  } finally {
    await db.close();
  }

  await page.getByRole('button', { name: 'Försök igen' }).click();
  await expect(progress).toContainText('Ange koden i SITHS eID-appen');
  await expect(
    page.getByText('Aktivering av SITHS-kortet pågår. Ta inte ut kortet ur läsaren under tiden.'),
  ).toBeVisible();
  await screen(page, '05-aktivering-pagar', 'Aktivering startad: steget och förloppet');
  await typePin(agentUi);
  // The page leaves "Ange koden" for the card's steps; a job faster than the page's poll goes straight to done.
  const done = page.getByRole('heading', { name: 'Ditt reservkort är nu klart att använda' });
  await expect(progress.filter({ hasNotText: 'Ange koden i SITHS eID-appen' }).or(done)).toBeVisible();
  await expect(done).toBeVisible({ timeout: 30_000 });
  // The done page shows the SITHS eID the activation wrote to the card, as the guide does.
  const issued = page.getByRole('region', { name: 'SITHS eID' });
  for (const label of [
    'Organisation',
    'Giltig från',
    'Giltig till',
    'Tillitsnivå',
    'HSA-id',
    'UPN',
    'Email',
  ]) {
    await expect(issued.getByRole('term').filter({ hasText: new RegExp(`^${label}$`) })).toBeVisible();
  }
  await expect(issued.getByRole('definition').nth(1)).toHaveText(/^\d{4}-\d{2}-\d{2}$/);
  await expect(issued.getByRole('definition').nth(2)).toHaveText(/^\d{4}-\d{2}-\d{2}$/);
  const holderDb = await systemDatabase(system);
  try {
    const [holder] = await queryRows<{ hsaId: string }>(
      holderDb,
      sql`select p.hsa_id as "hsaId" from persons p join cards c on c.holder_person_id = p.id
          where c.serial = ${demoCards.reserveNotActivated}`,
    );
    await expect(issued.getByRole('definition').nth(4)).toHaveText(holder!.hsaId);
  } finally {
    await holderDb.close();
  }
  await screen(page, '06-klart', 'Ditt reservkort är nu klart att använda: SITHS eID på kortet, LOGGA UT');

  const after = await systemDatabase(system);
  try {
    const [state] = await queryRows(
      after,
      sql`select c.state as card, o.state as "orderState",
            (select count(*) from eids e where e.card_id = c.id and e.state = 'active' and e.purpose <> 'transport') as eids,
            (select count(*) from eids e where e.card_id = c.id and e.state = 'active' and e.purpose = 'transport') as transport
          from cards c join orders o on o.card_id = c.id where c.serial = ${demoCards.reserveNotActivated}`,
    );
    expect(state).toEqual({ card: 'active', orderState: 'fulfilled', eids: 3, transport: 0 });
  } finally {
    await after.close();
  }

  await page.getByRole('button', { name: 'LOGGA UT', exact: true }).click();
  await logInWithCardOnThisDevice(page, agentUi, system.baseUrl);
  await expect(page.getByRole('heading', { name: 'Mina SITHS eID' })).toBeVisible();
  await expect(
    page.getByText(`Inloggad med SITHS-kort Reservkort ${demoCards.reserveNotActivated}`),
  ).toBeVisible();
});
