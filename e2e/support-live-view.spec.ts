import type { Browser, Page } from '@playwright/test';
import { demoCards, demoStaffCards } from '../db/seed';
import { jobSteps } from '../protocol/jobs';
import { insertVirtualCard, type VirtualCardProcess, waitForCard } from '../test-support/pcscd';
import { demoCardPin } from '../test-support/siths-system';
import { expect, test } from './fixtures';
import { logInAndWaitForOverview } from './helpers';

const slot1 = 'Virtual PCD 00 01';
const everyStepOfACardCheck = jobSteps.card_check.flatMap((step) => [`${step}:started`, `${step}:succeeded`]);

let card: VirtualCardProcess | undefined;

test.beforeEach(async ({ system }) => {
  card = await insertVirtualCard({
    stateDir: system.cardStateDir,
    serial: demoCards.activeOrdinary,
    slot: 1,
  });
});

test.afterEach(async () => {
  await card?.remove().catch(() => {});
});

async function openSupport(page: Page) {
  await logInAndWaitForOverview(page, 'support');
  await page.goto('/admin/support');
  await expect(page.getByTestId('live-state')).toHaveText('Live');
}

async function startCardCheck(page: Page) {
  const reader = page.getByTestId('reader').filter({ hasText: slot1 });
  await expect(reader).toContainText('Kort i läsaren');
  await reader.getByRole('button', { name: 'Starta kortkontroll' }).click();
  await expect(page).toHaveURL(/\/admin\/support\/jobb\//);
  return page.url();
}

async function timelineOf(page: Page) {
  return page
    .getByTestId('timeline-step')
    .evaluateAll((items) =>
      items.map((item) => `${item.getAttribute('data-step')}:${item.className.replace('timeline-', '')}`),
    );
}

async function typePin(agentUi: Page, pin: string) {
  await agentUi.getByLabel('Ange säkerhetskod (PIN1)').fill(pin);
  await agentUi.getByRole('button', { name: 'Legitimera' }).click();
}

/** Support presses Försök igen, the user types the PIN in the new job, and it ends well. */
async function retryAndFinish(page: Page, agentUi: Page) {
  await page.getByRole('button', { name: 'Försök igen' }).click();
  await expect(page.getByText('Nytt försök av')).toBeVisible();
  await typePin(agentUi, demoCardPin);
  await expect(page.getByTestId('job-state')).toHaveText('Klart');
}

test('support watches a card check live, messages the user, cancels a second job, and replays the first', async ({
  page,
  context,
  system,
}) => {
  const agentUi = await context.newPage();
  await agentUi.goto(system.agentUiUrl);
  await expect(agentUi.getByText('Klar att användas')).toBeVisible();
  await openSupport(page);

  const firstJobUrl = await startCardCheck(page);
  await expect(page.getByTestId('timeline-step').last()).toHaveAttribute('data-step', 'waiting_for_user');
  await expect(page.getByTestId('card-Serienummer')).toHaveText('–');
  await expect(page.getByTestId('card-Serienummer enligt SITHS eID-appen')).toHaveText(
    demoCards.activeOrdinary,
  );
  await expect(page.getByTestId('card-Kortläsare')).toHaveText(slot1);

  await page
    .getByLabel('Skicka meddelande till användaren')
    .fill('Hej! Skriv in din säkerhetskod, så ser jag resultatet.');
  await page.getByRole('button', { name: 'Skicka' }).click();
  await expect(page.getByRole('status')).toHaveText('Meddelandet skickades.');
  await expect(agentUi.getByText('Hej! Skriv in din säkerhetskod, så ser jag resultatet.')).toBeVisible();

  await typePin(agentUi, demoCardPin);
  await expect(page.getByTestId('job-state')).toHaveText('Klart');
  expect(await timelineOf(page)).toEqual(everyStepOfACardCheck);
  await expect(page.getByTestId('card-PIN-försök kvar')).toHaveText('3');
  await expect(agentUi.getByText('Klart', { exact: true })).toBeVisible();

  await page.getByRole('link', { name: 'Tillbaka till listan' }).click();
  await startCardCheck(page);
  await expect(agentUi.getByLabel('Ange säkerhetskod (PIN1)')).toBeVisible();
  await page.getByRole('button', { name: 'Avbryt jobbet' }).click();
  await expect(page.getByTestId('job-state')).toHaveText('Avbrutet');
  await expect(page.getByTestId('job-error')).toHaveText('Avbrutet av support');
  await expect(agentUi.getByText('Support avbröt ärendet')).toBeVisible();
  await expect(agentUi.getByLabel('Ange säkerhetskod (PIN1)')).toBeHidden();

  await page.goto(firstJobUrl);
  await page.getByRole('button', { name: 'Spela upp' }).click();
  await expect(page.getByRole('button', { name: 'Spelar upp…' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Spela upp' })).toBeVisible({ timeout: 20_000 });
  expect(await timelineOf(page)).toEqual(everyStepOfACardCheck);
});

test('a card pulled out while the user types shows at once and the job can be retried', async ({
  page,
  context,
  system,
}) => {
  const agentUi = await context.newPage();
  await agentUi.goto(system.agentUiUrl);
  await openSupport(page);
  await startCardCheck(page);
  await expect(agentUi.getByLabel('Ange säkerhetskod (PIN1)')).toBeVisible();

  await card!.remove();
  await expect(page.getByTestId('job-state')).toHaveText('Misslyckades');
  await expect(page.getByTestId('job-error')).toHaveText('Kortet togs ut ur läsaren');
  await expect(agentUi.getByText('Kortet togs ut ur läsaren')).toBeVisible();

  card = await insertVirtualCard({
    stateDir: system.cardStateDir,
    serial: demoCards.activeOrdinary,
    slot: 1,
  });
  await retryAndFinish(page, agentUi);
});

test('an agent that dies mid-job shows as gone, the job fails, and a retry runs on the restarted agent', async ({
  page,
  context,
  system,
}) => {
  await openSupport(page);
  await startCardCheck(page);
  await expect(page.getByTestId('timeline-step').last()).toHaveAttribute('data-step', 'waiting_for_user');

  await system.restartAgent({ crash: true });
  await expect(page.getByTestId('job-state')).toHaveText('Misslyckades', { timeout: 25_000 });
  await expect(page.getByTestId('job-error')).toHaveText('SITHS eID-appen tappade kontakten');

  const agentUi = await context.newPage();
  await agentUi.goto(system.agentUiUrl);
  await retryAndFinish(page, agentUi);
});

test('readers unplugged mid-job (pcscd gone) fail the job at once, and it runs again once they are back', async ({
  page,
  context,
  system,
}) => {
  const agentUi = await context.newPage();
  await agentUi.goto(system.agentUiUrl);
  await openSupport(page);
  await startCardCheck(page);
  await expect(agentUi.getByLabel('Ange säkerhetskod (PIN1)')).toBeVisible();

  await system.unplugReaders();
  await expect(page.getByTestId('job-state')).toHaveText('Misslyckades');
  await expect(page.getByTestId('job-error')).toHaveText(
    /Kortläsaren kopplades bort|Kortet togs ut ur läsaren/,
  );
  // The app's window says why no reader can be read, until pcscd is back.
  const pcscdGone = agentUi.getByText('Kortläsartjänsten (pcscd) körs inte på datorn');
  await expect(pcscdGone).toBeVisible();

  await system.plugReadersBack();
  await waitForCard(slot1, true, 15_000);
  // pcscd has the card again; the agent sees it only once its own reader watch has reconnected.
  await expect(agentUi.locator('#readers')).toContainText(`${slot1}: kort i läsaren`, { timeout: 15_000 });
  await expect(pcscdGone).toBeHidden();
  await retryAndFinish(page, agentUi);
});

/** A Mina sidor user in a browser of their own, with the SITHS eID-app on the same computer. */
async function minaSidorUser(browser: Browser, system: { baseUrl: string }) {
  const user = await browser.newContext({ baseURL: system.baseUrl, locale: 'sv-SE' });
  return { user, page: await user.newPage() };
}

const jobRowOfKind = (page: Page, kind: string) =>
  page
    .getByTestId('job-row')
    .filter({ has: page.getByTestId('job-kind').getByText(kind, { exact: true }) })
    .first();

// A reserve card's registration and activation by their kind and person: server/sockets/support-job-kinds.test.ts.
// Not here: the guide's walk (mina-sidor-cards.spec.ts) activates the worker's only unactivated reserve card first.
test('support sees a card login by its kind and person', async ({ page, context, browser, system }) => {
  test.setTimeout(150_000);
  const agentUi = await context.newPage();
  await agentUi.goto(system.agentUiUrl);
  await openSupport(page);

  // Johan Lindberg logs in to Mina sidor with his card. (Not Carina's: an earlier spec, persons-revocation,
  // revokes the authentication eID of her card in the worker's system.)
  await card!.remove();
  card = await insertVirtualCard({ stateDir: system.cardStateDir, serial: demoStaffCards.kontakt, slot: 1 });
  const johan = await minaSidorUser(browser, system);
  await johan.page.goto('/mina-sidor');
  await johan.page.getByRole('link', { name: 'LOGGA IN' }).click();
  await johan.page.getByRole('button', { name: 'SITHS eID på denna enhet' }).click();
  await typePin(agentUi, demoCardPin);
  const login = jobRowOfKind(page, 'Inloggning med kort');
  await expect(login.getByTestId('job-state')).toHaveText('Klart');
  await expect(login.getByTestId('job-user')).toContainText('Johan Lindberg');
  await johan.user.close();

  // The job's own page says the same.
  await login.getByRole('link', { name: 'Inloggning med kort' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Inloggning med kort');
  await expect(page.getByTestId('job-user')).toContainText('Johan Lindberg');
});
