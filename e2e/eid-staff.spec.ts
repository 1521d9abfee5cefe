import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import { and, eq, notInArray } from 'drizzle-orm';
import { first } from '../db/engine';
import { auditEvents, cards, orders, persons, signedDecisions, users } from '../db/schema';
import { demoCards, demoStaffCards } from '../db/seed';
import { demoCardPin } from '../test-support/siths-system';
import { expect, test } from './fixtures';
import { getMobileSiths, scanWithPhone, systemDatabase } from './helpers';

/**
 * Staff do their day with their SITHS eID: a card login (PIN1, 9A) and a revocation signed with the card's
 * signature key (the Underteckna prompt, 9C), whose downloaded statement openssl verifies. The staff card
 * takes the place of Carina's card in reader 0 and gives it back after each test.
 */
const run = promisify(execFile);

test.afterEach(async ({ system }) => {
  await system.replaceCard(0, demoCards.lockedOrdinary);
});

async function openAgentUi(page: Page, url: string) {
  const agentUi = await page.context().newPage();
  await agentUi.goto(url);
  return agentUi;
}

async function logInWithCard(page: Page, agentUi: Page, baseUrl: string) {
  await page.goto('/logga-in');
  await page.getByRole('button', { name: 'SITHS eID på denna enhet' }).click();
  await expect(agentUi.getByText(`Jag legitimerar mig hos ${baseUrl}`)).toBeVisible();
  await agentUi.getByLabel('Ange säkerhetskod (PIN1)').fill(demoCardPin);
  await agentUi.getByRole('button', { name: 'Legitimera' }).click();
  await expect(page.getByRole('heading', { name: 'Översikt' })).toBeVisible();
}

test('an ID-administrator logs in with the card and signs a revocation with it; openssl verifies the downloaded statement', async ({
  page,
  system,
}) => {
  await system.replaceCard(0, demoStaffCards.idadmin1);
  const agentUi = await openAgentUi(page, system.agentUiUrl);
  await logInWithCard(page, agentUi, system.baseUrl);

  const db = await systemDatabase(system);
  const staffPersons = (await db.select({ personId: users.personId }).from(users)).flatMap((user) =>
    user.personId ? [user.personId] : [],
  );
  const target = first(
    await db
      .select({ cardId: cards.id, serial: cards.serial, personId: persons.id, surname: persons.surname })
      .from(cards)
      .innerJoin(persons, eq(persons.id, cards.holderPersonId))
      .where(
        and(
          eq(cards.state, 'active'),
          eq(cards.kind, 'ordinary'),
          notInArray(cards.holderPersonId, staffPersons),
          notInArray(cards.serial, [...Object.values(demoCards), ...Object.values(demoStaffCards)]),
        ),
      )
      .limit(1),
  );
  await db.close();
  expect(target).toBeDefined();

  await page.goto(`/admin/personer/${target!.personId}`);
  await page
    .getByTestId('cards')
    .locator(`tr[data-serial="${target!.serial}"]`)
    .getByRole('link', { name: 'Spärra kort' })
    .click();
  await page.getByLabel('Orsak').selectOption({ label: 'Förlorat kort' });
  await page.getByRole('button', { name: 'Fortsätt' }).click();
  await page.getByRole('button', { name: 'Underteckna med SITHS eID på denna enhet' }).click();
  const statement = page.getByTestId('statement-to-sign');
  await expect(statement).toContainText(`spärrar SITHS-kort ${target!.serial}`);

  await expect(agentUi.getByText('Jag undertecknar:')).toBeVisible();
  await expect(agentUi.getByText(`spärrar SITHS-kort ${target!.serial}`)).toBeVisible();
  await agentUi.getByLabel('Ange underskriftskod (samma som PIN1)').fill(demoCardPin);
  await agentUi.getByRole('button', { name: 'Underteckna' }).click();

  await expect(page.getByRole('status')).toHaveText('Kortet är spärrat. Spärren kan inte ångras.');
  const signed = page.getByTestId('signed-decisions');
  await expect(signed).toContainText('Signerad av Lars Eriksson');
  await expect(signed).toContainText(`spärrar SITHS-kort ${target!.serial}`);

  const after = await systemDatabase(system);
  const decision = first(
    await after.select().from(signedDecisions).where(eq(signedDecisions.objectId, target!.cardId)).limit(1),
  )!;
  await after.close();
  expect(decision).toMatchObject({ kind: 'revocation', method: 'card', credential: demoStaffCards.idadmin1 });

  const folder = await mkdtemp(join(tmpdir(), 'siths-e2e-signed-'));
  try {
    for (const name of [`${decision.id}.p7s`, `${decision.id}.txt`, 'ca-kedja.pem']) {
      const response = await page.request.get(`/admin/beslut/${name}`);
      expect(response.status()).toBe(200);
      await writeFile(join(folder, name), await response.body());
    }
    const verify = () =>
      run('openssl', [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        join(folder, `${decision.id}.p7s`),
        '-content',
        join(folder, `${decision.id}.txt`),
        '-CAfile',
        join(folder, 'ca-kedja.pem'),
        '-purpose',
        'any',
        '-out',
        join(folder, 'verified.txt'),
      ]);
    await verify();
    expect(await readFile(join(folder, 'verified.txt'), 'utf8')).toBe(decision.statement);
    await writeFile(join(folder, `${decision.id}.txt`), decision.statement.replace('Förlorat', 'Stulet'));
    await expect(verify()).rejects.toThrow();
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('a person without a staff role who logs in with the card is refused in Swedish and pointed to Mina sidor', async ({
  page,
  system,
}) => {
  await system.replaceCard(0, demoCards.activeOrdinary);
  const agentUi = await openAgentUi(page, system.agentUiUrl);
  await page.goto('/logga-in');
  await page.getByRole('button', { name: 'SITHS eID på denna enhet' }).click();
  await agentUi.getByLabel('Ange säkerhetskod (PIN1)').fill(demoCardPin);
  await agentUi.getByRole('button', { name: 'Legitimera' }).click();
  await expect(page.getByRole('alert')).toContainText('Du har ingen roll i SITHS eID-portalen');
  await page.getByRole('link', { name: 'Gå till Mina sidor' }).click();
  await expect(page).toHaveURL(/\/mina-sidor$/);
});

test('an ID-administrator gets Mobile SITHS with the card, logs in to the dashboard with it on another device and signs a second approval on the phone', async ({
  page,
  system,
}) => {
  test.setTimeout(120_000);
  const mobileCode = '975310';
  await system.replaceCard(0, demoStaffCards.idadmin2);
  const agentUi = await openAgentUi(page, system.agentUiUrl);
  const phone = await page.context().newPage();
  await phone.goto('/mobilt-siths');

  await page.bringToFront();
  await page.goto('/mina-sidor');
  await page.getByRole('link', { name: 'LOGGA IN' }).click();
  await page.getByRole('button', { name: 'SITHS eID på denna enhet' }).click();
  await agentUi.getByLabel('Ange säkerhetskod (PIN1)').fill(demoCardPin);
  await agentUi.getByRole('button', { name: 'Legitimera' }).click();
  await expect(page.getByRole('heading', { name: 'Mina SITHS eID' })).toBeVisible();
  await getMobileSiths(page, phone, { name: 'Fatimas iPhone', code: mobileCode });
  await page.getByRole('button', { name: 'Logga ut' }).click();

  await page.goto('/logga-in');
  await page.getByRole('link', { name: 'SITHS eID på annan enhet' }).click();
  await expect(page.getByRole('img', { name: 'QR-kod för Mobilt SITHS' })).toBeVisible();
  await scanWithPhone(phone);
  await phone.getByLabel('Ange legitimeringskoden för Mobilt SITHS').fill(mobileCode);
  await phone.getByRole('button', { name: 'Legitimera' }).click();
  await phone.getByRole('button', { name: 'OK' }).click();
  await page.bringToFront();
  await expect(page.getByRole('heading', { name: 'Översikt' })).toBeVisible();
  await expect(page.getByText('ID-administratör')).toBeVisible();

  const db = await systemDatabase(system);
  const logins = await db.select().from(auditEvents).where(eq(auditEvents.action, 'login_mobile_siths'));
  const waiting = first(
    await db.select().from(orders).where(eq(orders.state, 'awaiting_second_approval')).limit(1),
  );
  await db.close();
  expect(logins.some((event) => event.outcome === 'success' && event.detail?.portal === 'admin')).toBe(true);
  expect(waiting).toBeDefined();

  // The second approval of a trust-level-3 order (idadmin1 gave the first), signed on the phone.
  await page.goto(`/admin/bestallningar/${waiting!.id}`);
  await page.getByRole('link', { name: 'Godkänn (andra godkännande)', exact: true }).click();
  await page.getByRole('button', { name: 'Ja, fortsätt' }).click();
  await page.getByRole('button', { name: 'Underteckna med SITHS eID på annan enhet' }).click();
  await expect(page.getByTestId('statement-to-sign')).toContainText('Jag, Fatima Hassan');
  await expect(page.getByRole('img', { name: 'QR-kod för Mobilt SITHS' })).toBeVisible();
  await scanWithPhone(phone);
  await expect(phone.getByText('Texten du undertecknar')).toBeVisible();
  await expect(
    phone.getByText(`godkänner som andra ID-administratör beställning ${waiting!.id}`),
  ).toBeVisible();
  await phone.getByLabel('Ange legitimeringskoden för Mobilt SITHS för att underteckna').fill(mobileCode);
  await phone.getByRole('button', { name: 'Underteckna' }).click();
  await expect(phone.getByText('Du har undertecknat')).toBeVisible();
  await page.bringToFront();
  await expect(page.getByTestId('order-state')).toHaveText('Klar');
  await expect(page.getByTestId('signed-decision')).toContainText('Signerad av Fatima Hassan');
});
