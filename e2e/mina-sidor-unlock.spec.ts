import { demoCards } from '../db/seed';
import { insertVirtualCard, type VirtualCardProcess } from '../test-support/pcscd';
import { demoCardPin } from '../test-support/siths-system';
import { expect, test } from './fixtures';
import { getMobileSiths, scanWithPhone } from './helpers';

/**
 * The guide "Lås upp SITHS-kort med Mobilt SITHS", screen by screen: Carina logs in with her working card,
 * gets a Mobile SITHS on the phone simulator, logs in with it, unlocks her locked card (which sits in
 * reader 0) in the SITHS eID-app, and gets the mail.
 */
test.describe.configure({ mode: 'serial' });

let activeCard: VirtualCardProcess | undefined;
const mobileCode = '246810';

test.beforeAll(async ({ system }) => {
  activeCard = await insertVirtualCard({
    stateDir: system.cardStateDir,
    serial: demoCards.activeOrdinary,
    slot: 1,
  });
});

test.afterAll(async () => {
  await activeCard?.remove().catch(() => {});
});

test('Lås upp kort: Mobile SITHS login, re-authentication, new code in the SITHS eID-app, mail', async ({
  page,
  system,
}) => {
  test.setTimeout(180_000);
  const agentUi = await page.context().newPage();
  await agentUi.goto(system.agentUiUrl);
  const phone = await page.context().newPage();
  await phone.goto('/mobilt-siths');

  await page.bringToFront();
  await page.goto('/mina-sidor');
  await page.getByRole('link', { name: 'LOGGA IN' }).click();
  await page.getByRole('button', { name: 'SITHS eID på denna enhet' }).click();
  await agentUi.getByLabel('Ange säkerhetskod (PIN1)').fill(demoCardPin);
  await agentUi.getByRole('button', { name: 'Legitimera' }).click();
  await expect(page.getByRole('heading', { name: 'Mina SITHS eID' })).toBeVisible();

  await getMobileSiths(page, phone, { name: 'Xiaomi 22126RN91Y', code: mobileCode });

  await page.getByRole('button', { name: 'Logga ut' }).click();
  await page.getByRole('link', { name: 'LOGGA IN' }).click();
  await page.getByRole('link', { name: 'SITHS eID på annan enhet' }).click();
  await expect(page.getByRole('img', { name: 'QR-kod för Mobilt SITHS' })).toBeVisible();
  await scanWithPhone(phone);
  await phone.getByLabel('Ange legitimeringskoden för Mobilt SITHS').fill(mobileCode);
  await phone.getByRole('button', { name: 'Legitimera' }).click();
  await expect(phone.getByText('Du är nu legitimerad')).toBeVisible();
  await phone.getByRole('button', { name: 'OK' }).click();
  await page.bringToFront();
  await expect(page.getByRole('heading', { name: 'Mina SITHS eID' })).toBeVisible();
  await expect(page.getByText('Inloggad med Xiaomi 22126RN91Y - Västra Götalandsregionen')).toBeVisible();

  const lockedRow = page.locator(`[data-card-serial="${demoCards.lockedOrdinary}"]`);
  await lockedRow.getByRole('link', { name: 'Lås upp kort' }).click();
  await expect(page.getByRole('heading', { name: 'Jag vill låsa upp SITHS-kort' })).toBeVisible();
  await expect(
    page.getByText('För att låsa upp SITHS-kortet behöver du legitimera dig igen med ditt Mobilt SITHS.'),
  ).toBeVisible();
  await expect(
    page.getByText('OBS! SITHS-kortet måste sitta i kortläsaren under hela upplåsningen'),
  ).toBeVisible();
  await page.getByRole('button', { name: 'LÅS UPP' }).click();
  await expect(page.getByRole('img', { name: 'QR-kod för Mobilt SITHS' })).toBeVisible();
  await scanWithPhone(phone);
  await phone.getByLabel('Ange legitimeringskoden för Mobilt SITHS').fill(mobileCode);
  await phone.getByRole('button', { name: 'Legitimera' }).click();

  await page.bringToFront();
  await expect(
    page.getByText('Följ instruktionerna i din SITHS eID-app för att låsa upp kortet.'),
  ).toBeVisible();
  await agentUi.bringToFront();
  await agentUi.getByLabel('Ny säkerhetskod (PIN1)').fill('135790');
  await agentUi.getByLabel('Upprepa den nya säkerhetskoden').fill('135791');
  await agentUi.getByRole('button', { name: 'Lås upp kort' }).click();
  await expect(
    agentUi.getByText('Koderna stämmer inte överens. Ange samma kod i båda fälten.'),
  ).toBeVisible();
  await agentUi.getByLabel('Ny säkerhetskod (PIN1)').fill('135790');
  await agentUi.getByLabel('Upprepa den nya säkerhetskoden').fill('135790');
  await agentUi.getByRole('button', { name: 'Lås upp kort' }).click();
  await expect(agentUi.getByText('Kortet är upplåst')).toBeVisible();
  await agentUi.getByRole('button', { name: 'OK' }).click();
  await expect(agentUi.getByText('Klar att användas')).toBeVisible();

  await page.bringToFront();
  await expect(page.getByText('Kortet är upplåst.')).toBeVisible();
  await page.getByRole('link', { name: 'AVSLUTA' }).click();
  await expect(page.getByRole('heading', { name: 'Mina SITHS eID' })).toBeVisible();
  await expect(lockedRow.getByRole('link', { name: 'Lås upp kort' })).toHaveCount(0);

  const mail = await system.mailCatcher!.waitForMail(
    (candidate) => (candidate.text ?? '').includes(demoCards.lockedOrdinary),
    20_000,
  );
  expect(mail.subject).toBe('Upplåsning av SITHS-kort i TEST-miljö');
  expect(mail.text).toContain('Kontakta lokal support om detta inte var din avsikt.');
});
