import { demoCards } from '../db/seed';
import { insertVirtualCard, type VirtualCardProcess } from '../test-support/pcscd';
import { demoCardPin } from '../test-support/siths-system';
import { expect, test } from './fixtures';
import { getMobileSiths, lockReaderZeroCardAgain, scanWithPhone } from './helpers';
import { renderedLines, sharesRow } from './layout';
import { captureScreen } from './screens';

/**
 * The guide "Lås upp SITHS-kort med Mobilt SITHS", screen by screen: Carina logs in with her working card,
 * gets a Mobile SITHS on the phone simulator, logs in with it, unlocks her locked card (which sits in
 * reader 0) in the SITHS eID-app, and gets the mail. Each screen of the guide is saved (e2e/screens.ts).
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

test.afterAll(async ({ system }) => {
  await activeCard?.remove().catch(() => {});
  await lockReaderZeroCardAgain(system);
});

test('Lås upp kort: Mobile SITHS login, re-authentication, new code in the SITHS eID-app, mail', async ({
  page,
  system,
}, testInfo) => {
  const screen = (on: typeof page, name: string, caption: string) =>
    captureScreen(on, testInfo, 'las-upp-kort', name, caption);
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
  // The choice keeps "eID" as written: no uppercase styling turns it into "EID" (innerText: as rendered).
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what this checks.
  expect(await page.getByRole('button', { name: 'SITHS eID på denna enhet' }).innerText()).toContain('eID');
  await screen(page, '01-logga-in', 'Logga in: välj SITHS eID på annan enhet');
  await page.getByRole('link', { name: 'SITHS eID på annan enhet' }).click();
  await expect(page.getByRole('img', { name: 'QR-kod för Mobilt SITHS' })).toBeVisible();
  await screen(page, '02-qr-kod', 'Skanna QR-koden med mobilen');
  await scanWithPhone(phone);
  await expect(phone.getByLabel('Ange legitimeringskoden för Mobilt SITHS')).toBeVisible();
  await screen(phone, '03-mobilt-siths-kod', 'Ange legitimeringskoden för Mobilt SITHS (mobilen)');
  await phone.getByLabel('Ange legitimeringskoden för Mobilt SITHS').fill(mobileCode);
  await phone.getByRole('button', { name: 'Legitimera' }).click();
  await expect(phone.getByText('Du är nu legitimerad')).toBeVisible();
  await phone.getByRole('button', { name: 'OK' }).click();
  await page.bringToFront();
  await expect(page.getByRole('heading', { name: 'Mina SITHS eID' })).toBeVisible();
  await expect(page.getByText('Inloggad med Xiaomi 22126RN91Y - Västra Götalandsregionen')).toBeVisible();

  const lockedRow = page.locator(`[data-card-serial="${demoCards.lockedOrdinary}"]`);
  await screen(page, '04-mina-siths-eid', 'Mina SITHS eID: under Mina andra SITHS eID, Lås upp kort');
  // A date stays on one line in its table cell, even on a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await renderedLines(lockedRow.locator('td').nth(3))).toBe(1);
  await page.setViewportSize({ width: 1280, height: 720 });
  await lockedRow.getByRole('link', { name: 'Lås upp kort' }).click();
  await expect(page.getByRole('heading', { name: 'Jag vill låsa upp SITHS-kort' })).toBeVisible();
  await expect(
    page.getByText('För att låsa upp SITHS-kortet behöver du legitimera dig igen med ditt Mobilt SITHS.'),
  ).toBeVisible();
  await expect(
    page.getByText('OBS! SITHS-kortet måste sitta i kortläsaren under hela upplåsningen'),
  ).toBeVisible();
  // AVBRYT and LÅS UPP: one button style, side by side with the same top and height.
  expect(
    await sharesRow(
      page.getByRole('link', { name: 'AVBRYT' }),
      page.getByRole('button', { name: 'LÅS UPP' }),
    ),
  ).toBe(true);
  await screen(
    page,
    '05-las-upp-siths-kort',
    'Lås upp SITHS-kort: legitimera dig igen, AVBRYT eller LÅS UPP',
  );
  await page.getByRole('button', { name: 'LÅS UPP' }).click();
  await expect(page.getByRole('img', { name: 'QR-kod för Mobilt SITHS' })).toBeVisible();
  await screen(page, '06-legitimera-igen', 'Legitimera dig igen med Mobilt SITHS');
  await scanWithPhone(phone);
  await phone.getByLabel('Ange legitimeringskoden för Mobilt SITHS').fill(mobileCode);
  await phone.getByRole('button', { name: 'Legitimera' }).click();

  await page.bringToFront();
  await expect(
    page.getByText('Följ instruktionerna i din SITHS eID-app för att låsa upp kortet.'),
  ).toBeVisible();
  // While the app asks for the new code the page says so, and the menu and AVSLUTA wait for the job.
  await expect(page.getByText('Välj en ny säkerhetskod (6-8 siffror) i SITHS eID-appen')).toBeVisible();
  await expect(page.getByText('Startar SITHS eID-appen på den här datorn …')).toHaveCount(0);
  const menu = page.getByRole('navigation', { name: 'Mina sidor' });
  await expect(menu.getByRole('link')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'AVSLUTA' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Logga ut' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'AVBRYT' })).toBeVisible();
  await agentUi.bringToFront();
  await expect(agentUi.getByLabel('Ny säkerhetskod (PIN1)')).toBeVisible();
  await screen(agentUi, '07-app-ny-kod', 'SITHS eID-appen: ange en ny säkerhetskod två gånger');
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
  await screen(agentUi, '08-app-upplast', 'SITHS eID-appen: kortet är upplåst, OK');
  await agentUi.getByRole('button', { name: 'OK' }).click();
  await expect(agentUi.getByText('Klar att användas')).toBeVisible();

  await page.bringToFront();
  await expect(page.getByText('Kortet är upplåst.')).toBeVisible();
  // The job is done: nothing says the app is starting any more.
  await expect(page.getByText('Startar SITHS eID-appen på den här datorn …')).toHaveCount(0);
  await screen(page, '09-avsluta', 'Kortet är upplåst: välj AVSLUTA');
  await page.getByRole('link', { name: 'AVSLUTA' }).click();
  await expect(page.getByRole('heading', { name: 'Mina SITHS eID' })).toBeVisible();
  await screen(page, '10-tillbaka', 'Tillbaka på Mina SITHS eID, kortet är inte längre låst');
  await expect(lockedRow.getByRole('link', { name: 'Lås upp kort' })).toHaveCount(0);

  const mail = await system.mailCatcher!.waitForMail(
    (candidate) => (candidate.text ?? '').includes(demoCards.lockedOrdinary),
    20_000,
  );
  expect(mail.subject).toBe('Upplåsning av SITHS-kort i TEST-miljö');
  expect(mail.text).toContain('Kontakta lokal support om detta inte var din avsikt.');
});
