import { generateKeyPairSync } from 'node:crypto';
import { agentReleaseVersion } from '../protocol/agent-version';
import { e2eBaseUrl } from './environment';
import { expect, test } from './fixtures';
import { logInAndWaitForOverview } from './helpers';

/**
 * Issue 17: the administrator creates an enrolment code for one named computer and sees the computer appear
 * once it has enrolled with it; then revokes it. The computer enrols as the SITHS eID-app does, over
 * POST /siths-eid-appen/api/registrera with a new P-256 device key.
 */
test('the administrator creates an enrolment code and sees the computer appear, then revokes it', async ({
  page,
}) => {
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

  const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ format: 'der', type: 'spki' })
    .toString('base64');
  const enrolled = await page.request.post(`${e2eBaseUrl}/siths-eid-appen/api/registrera`, {
    data: {
      code,
      publicKey,
      hostname: 'pc-e2e-0042',
      os: 'Debian GNU/Linux 12',
      agentVersion: agentReleaseVersion,
    },
  });
  expect(enrolled.status()).toBe(200);
  expect(await enrolled.json()).toMatchObject({ ok: true, name: 'Mottagningen E2E, rum 3' });

  // The code is shown once: the page, loaded again, lists the computer and the used code, never the code.
  await page.goto('/admin/datorer');
  await expect(page.getByText(code)).toHaveCount(0);
  const computers = page.getByTestId('computers');
  await expect(computers.getByRole('cell', { name: /Mottagningen E2E, rum 3/ })).toBeVisible();
  const codes = page.getByTestId('enrolment-codes');
  await expect(codes.getByRole('row', { name: /Mottagningen E2E, rum 3/ })).toContainText('Förbrukad');

  await computers.getByRole('link', { name: 'Mottagningen E2E, rum 3' }).click();
  await expect(page.getByRole('heading', { name: 'Mottagningen E2E, rum 3' })).toBeVisible();
  await page.getByRole('link', { name: 'Spärra datorn …' }).click();
  await expect(page.getByText('Vill du spärra datorn?')).toBeVisible();
  await page.getByRole('button', { name: 'Ja, spärra datorn' }).click();
  await expect(page.getByText('Datorn är spärrad och dess anslutning är stängd.')).toBeVisible();
  await expect(page.getByText('Spärrad', { exact: true }).first()).toBeVisible();
});
