import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { freePort } from '../test-support/processes';
import { startCardAgentProcess } from '../test-support/siths-system';
import { expect, test } from './fixtures';
import { logInAndWaitForOverview } from './helpers';

/**
 * Issue 17: the administrator creates an enrolment code for one named computer and sees the computer appear
 * once the SITHS eID-app (the card-agent program) has enrolled with it and connected; then revokes it, and the
 * app's own window says so.
 */
test('the administrator creates an enrolment code, the SITHS eID-app enrols with it and appears, then is revoked', async ({
  page,
  system,
}, testInfo) => {
  await logInAndWaitForOverview(page, 'admin');
  await page
    .getByRole('navigation', { name: 'Huvudmeny' })
    .getByRole('link', { name: 'Datorer med SITHS eID-app' })
    .click();
  await expect(page.getByRole('heading', { name: 'Datorer med SITHS eID-app', level: 1 })).toBeVisible();

  const singleForm = page.locator('form', { has: page.getByLabel('Datorns namn', { exact: true }) });
  await singleForm.getByLabel('Datorns namn', { exact: true }).fill('Mottagningen E2E, rum 3');
  await singleForm.getByLabel('Koden gäller i').selectOption('1');
  await singleForm.getByRole('button', { name: 'Skapa registreringskod' }).click();
  const shown = page.getByRole('status').getByLabel('Registreringskod');
  await expect(shown).toHaveText(/^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$/);
  const code = (await shown.textContent())!;
  await expect(page.getByText('/etc/siths-card-agent/config.json')).toBeVisible();

  // A computer with the SITHS eID-app (the program itself, not the repository's test double) enrols with it.
  const home = mkdtempSync(join(tmpdir(), 'siths-e2e-computer-'));
  const uiKey = randomBytes(16).toString('hex');
  const uiPort = await freePort();
  const computer = await startCardAgentProcess({
    serverUrl: system.baseUrl,
    uiPort,
    uiKey,
    logFile: testInfo.outputPath('enrolled-agent.log'),
    env: { SITHS_AGENT_TOKEN: '', SITHS_ENROLMENT_CODE: code, XDG_CONFIG_HOME: home },
  });
  try {
    await revokeTheComputerThatAppeared(page, code, computer.uiUrl);
  } finally {
    await computer.process.stop();
    rmSync(home, { recursive: true, force: true });
  }
});

async function revokeTheComputerThatAppeared(page: Page, code: string, computerUiUrl: string) {
  // The code is shown once: the page, loaded again, lists the computer and the used code, never the code.
  const computers = page.getByTestId('computers');
  // The app enrols and connects within a moment of starting; the list shows what is, when it is loaded.
  await expect(async () => {
    await page.goto('/admin/datorer');
    await expect(computers.getByRole('row', { name: /Mottagningen E2E, rum 3/ })).toContainText('Ansluten', {
      timeout: 1_000,
    });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByText(code)).toHaveCount(0);
  const codes = page.getByTestId('enrolment-codes');
  await expect(codes.getByRole('row', { name: /Mottagningen E2E, rum 3/ })).toContainText('Förbrukad');

  await computers.getByRole('link', { name: 'Mottagningen E2E, rum 3' }).click();
  await expect(page.getByRole('heading', { name: 'Mottagningen E2E, rum 3' })).toBeVisible();
  await page.getByRole('link', { name: 'Spärra datorn …' }).click();
  await expect(page.getByText('Vill du spärra datorn?')).toBeVisible();
  await page.getByRole('button', { name: 'Ja, spärra datorn' }).click();
  await expect(page.getByText('Datorn är spärrad och dess anslutning är stängd.')).toBeVisible();
  await expect(page.getByText('Spärrad', { exact: true }).first()).toBeVisible();

  // The computer's own window says it is revoked, and it stays off.
  const window = await page.context().newPage();
  await window.goto(computerUiUrl);
  await expect(
    window.getByText('Den här datorn är spärrad i siths-desk och kan inte användas med SITHS eID-appen.'),
  ).toBeVisible();
}
