import type { Page } from '@playwright/test';
import { eq, sql } from 'drizzle-orm';
import { first, queryRows } from '../db/engine';
import { cards } from '../db/schema';
import { demoCards } from '../db/seed';
import { insertVirtualCard, type VirtualCardProcess } from '../test-support/pcscd';
import { demoCardPin } from '../test-support/siths-system';
import { expect, test } from './fixtures';
import { systemDatabase } from './helpers';

/**
 * Mina sidor with a card in this computer's reader: the guide "Aktivera ditt reservkort" screen by screen,
 * Felkod 2004 and 2006, and card login, through the real SITHS eID-app, pcscd and virtual cards.
 * The worker's locked card sits in reader 0; the card under test goes into reader 1.
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

test('Felkod 2004: LOGGA IN with a reserve card that is not activated', async ({ page, system }) => {
  await insertInReader1(system.cardStateDir, demoCards.reserveNotActivated);
  const agentUi = await openAgentUi(page, system.agentUiUrl);
  await logInWithCardOnThisDevice(page, agentUi, system.baseUrl);
  await expect(page.getByText('2004', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Ej aktiverat reservkort' })).toBeVisible();
  await expect(
    page.getByText('Du måste aktivera ditt Reservkort innan du kan logga in med det'),
  ).toBeVisible();
  await page.getByRole('link', { name: 'ÅTERGÅ TILL START' }).click();
  await expect(page.getByRole('button', { name: 'AKTIVERA DITT RESERVKORT' })).toBeVisible();
});

test('Felkod 2006: a reserve card with no order cannot be registered', async ({ page, system }) => {
  await insertInReader1(system.cardStateDir, demoCards.reserveNoOrder);
  const agentUi = await openAgentUi(page, system.agentUiUrl);
  await page.goto('/mina-sidor');
  await page.getByRole('button', { name: 'AKTIVERA DITT RESERVKORT' }).click();
  await expect(agentUi.getByText('Ditt kort behöver registreras')).toBeVisible();
  await expect(agentUi.getByText(demoCards.reserveNoOrder)).toBeVisible();
  await typePin(agentUi);
  await expect(page.getByText('2006', { exact: true })).toBeVisible();
  await expect(page.getByText('Kontakta din chef eller kontaktperson på enheten.')).toBeVisible();
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

test('AKTIVERA DITT RESERVKORT: register, terms, AKTIVERA, progress, done, then log in with the new eID', async ({
  page,
  system,
}) => {
  test.setTimeout(120_000);
  await insertInReader1(system.cardStateDir, demoCards.reserveNotActivated);
  const agentUi = await openAgentUi(page, system.agentUiUrl);
  await page.goto('/mina-sidor');
  await page.getByRole('button', { name: 'AKTIVERA DITT RESERVKORT' }).click();

  await expect(agentUi.getByText('Ditt kort behöver registreras')).toBeVisible();
  await typePin(agentUi);
  await expect(agentUi.getByText(`Jag legitimerar mig hos ${system.baseUrl}`)).toBeVisible();
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
  await page.getByRole('button', { name: 'AKTIVERA' }).click();

  await expect(page.getByRole('heading', { name: 'Aktivering startad' })).toBeVisible();
  await expect(
    page.getByText('Aktivering av SITHS-kortet pågår. Ta inte ut kortet ur läsaren under tiden.'),
  ).toBeVisible();
  await typePin(agentUi);
  await expect(page.getByRole('heading', { name: 'Ditt reservkort är nu klart att använda' })).toBeVisible({
    timeout: 30_000,
  });

  const db = await systemDatabase(system);
  try {
    const [state] = await queryRows(
      db,
      sql`select c.state as card, o.state as "orderState",
            (select count(*) from eids e where e.card_id = c.id and e.state = 'active' and e.purpose <> 'transport') as eids,
            (select count(*) from eids e where e.card_id = c.id and e.state = 'active' and e.purpose = 'transport') as transport
          from cards c join orders o on o.card_id = c.id where c.serial = ${demoCards.reserveNotActivated}`,
    );
    expect(state).toEqual({ card: 'active', orderState: 'fulfilled', eids: 3, transport: 0 });
  } finally {
    await db.close();
  }

  await page.getByRole('button', { name: 'LOGGA UT', exact: true }).click();
  await logInWithCardOnThisDevice(page, agentUi, system.baseUrl);
  await expect(page.getByRole('heading', { name: 'Mina SITHS eID' })).toBeVisible();
  await expect(
    page.getByText(`Inloggad med SITHS-kort Reservkort ${demoCards.reserveNotActivated}`),
  ).toBeVisible();
});
