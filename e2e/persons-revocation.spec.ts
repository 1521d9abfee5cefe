import { eq } from 'drizzle-orm';
import { first } from '../db/engine';
import { findPersonByIdentifier } from '../db/persons';
import { cards, eids } from '../db/schema';
import { demoCards, demoPersons, demoStaffCards } from '../db/seed';
import { demoCardPin } from '../test-support/siths-system';
import { expect, test } from './fixtures';
import { logInAndWaitForOverview, systemDatabase } from './helpers';

const carina = demoPersons.carina;

async function openCarina(page: import('@playwright/test').Page) {
  await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Personer' }).click();
  await page.getByLabel('Sök person').fill(carina.hsaId);
  await page.getByRole('button', { name: 'Sök' }).click();
  await expect(page.getByTestId('person-results')).toContainText('19840312-****');
  await page.getByRole('link', { name: 'Carina Svensson Andersson' }).click();
  await expect(page.getByRole('heading', { name: 'Carina Svensson Andersson' })).toBeVisible();
}

test('an ID-administrator revokes one eID of a card; the other stays valid and the revoked one shows as invalid', async ({
  page,
  system,
}) => {
  await logInAndWaitForOverview(page, 'idadmin1');
  await openCarina(page);
  const validOnCard = page
    .getByTestId('valid-eids')
    .locator(`tr[data-card-serial="${demoCards.activeOrdinary}"]`);
  // Authentication, signature and card authentication (9E), as the card was personalised.
  await expect(validOnCard).toHaveCount(3);
  const revokedSerial = await validOnCard.first().getAttribute('data-certificate-serial');
  const keptSerial = await validOnCard.last().getAttribute('data-certificate-serial');

  await validOnCard.first().getByRole('link', { name: 'Spärra SITHS eID' }).click();
  await expect(page.getByRole('heading', { name: 'Spärra SITHS eID' })).toBeVisible();
  await page.getByRole('button', { name: 'Fortsätt' }).click();
  await expect(page.locator('#field-reason-error')).toHaveText('Välj en orsak till spärren.');
  await page.getByLabel('Orsak').selectOption({ label: 'Misstänkt röjd kod eller nyckel' });
  await page.getByRole('button', { name: 'Fortsätt' }).click();
  await expect(page.getByText('Spärren kan inte ångras.')).toBeVisible();
  // The revocation is signed with idadmin1's own card, in the reader where Carina's card was.
  const agentUi = await page.context().newPage();
  await agentUi.goto(system.agentUiUrl);
  await system.replaceCard(0, demoStaffCards.idadmin1);
  try {
    await page.getByRole('button', { name: 'Underteckna med SITHS eID på denna enhet' }).click();
    await expect(page.getByTestId('statement-to-sign')).toContainText(
      `spärrar SITHS eID med certifikatserienummer ${revokedSerial}`,
    );
    await agentUi.getByLabel('Ange underskriftskod (samma som PIN1)').fill(demoCardPin);
    await agentUi.getByRole('button', { name: 'Underteckna' }).click();
    await expect(page.getByRole('status')).toHaveText('SITHS eID är spärrat. Spärren kan inte ångras.');
  } finally {
    await system.replaceCard(0, demoCards.lockedOrdinary);
    await agentUi.close();
  }

  await expect(page.getByRole('status')).toHaveText('SITHS eID är spärrat. Spärren kan inte ångras.');
  await expect(validOnCard).toHaveCount(2);
  await expect(validOnCard.last()).toHaveAttribute('data-certificate-serial', keptSerial!);
  await expect(
    page.getByTestId('valid-eids').locator(`tr[data-certificate-serial="${revokedSerial}"]`),
  ).toHaveCount(0);
  await expect(
    page.getByTestId('cards').locator(`tr[data-serial="${demoCards.activeOrdinary}"]`),
  ).toContainText('Aktivt');
  await page.getByText('Visa ogiltiga SITHS eID').click();
  const revokedRow = page
    .getByTestId('invalid-eids')
    .locator(`tr[data-certificate-serial="${revokedSerial}"]`);
  await expect(revokedRow).toContainText('Spärrat');
  await expect(revokedRow).toContainText('Misstänkt röjd kod eller nyckel');

  await page
    .getByRole('navigation', { name: 'Huvudmeny' })
    .getByRole('link', { name: 'Granskningslogg' })
    .click();
  await page.getByLabel('Åtgärd (kod)').fill('eid_revoke');
  await page.getByRole('button', { name: 'Filtrera' }).click();
  await expect(page.getByTestId('audit-events').locator('tbody tr')).toHaveCount(1);
  await expect(page.getByTestId('audit-events')).toContainText('Spärra SITHS eID');
  await expect(page.getByTestId('audit-events')).toContainText(revokedSerial!);

  const db = await systemDatabase(system);
  const card = first(
    await db.select().from(cards).where(eq(cards.serial, demoCards.activeOrdinary)).limit(1),
  )!;
  const states = (await db.select().from(eids).where(eq(eids.cardId, card.id))).map((eid) => [
    eid.certificateSerial,
    eid.state,
    eid.revocationReason,
  ]);
  await db.close();
  expect(card.state).toBe('active');
  expect(states).toContainEqual([revokedSerial, 'revoked', 'compromised']);
  expect(states).toContainEqual([keptSerial, 'active', null]);
});

test('a manager sees no revoke button and a direct revocation POST is refused with 403', async ({
  page,
  system,
}) => {
  const db = await systemDatabase(system);
  const carinaId = (await findPersonByIdentifier(db, carina.hsaId))!.id;
  const card = first(
    await db.select().from(cards).where(eq(cards.serial, demoCards.lockedOrdinary)).limit(1),
  )!;
  await db.close();

  await logInAndWaitForOverview(page, 'chef');
  await openCarina(page);
  await expect(page.getByTestId('valid-eids')).toBeVisible();
  await expect(page.getByRole('link', { name: /Spärra/ })).toHaveCount(0);

  const response = await page.request.post(`/admin/personer/${carinaId}/sparra?kort=${card.id}`, {
    form: { intent: 'confirm', reason: 'lost' },
  });
  expect(response.status()).toBe(403);
  const after = await systemDatabase(system);
  // Unchanged by the refused POST (an earlier spec on this worker may have unlocked the card).
  expect(first(await after.select().from(cards).where(eq(cards.id, card.id)).limit(1))!.state).toBe(
    card.state,
  );
  expect(first(await after.select().from(cards).where(eq(cards.id, card.id)).limit(1))!.state).not.toBe(
    'revoked',
  );
  await after.close();
});

test('a bad personnummer in the search gets a Swedish message next to the field', async ({ page }) => {
  await logInAndWaitForOverview(page, 'chef');
  await page.goto('/admin/personer');
  await page.getByLabel('Sök person').fill('19840312-9820');
  await page.getByRole('button', { name: 'Sök' }).click();
  const message = 'Personnumret är inte giltigt. Kontrollera födelsedatum och kontrollsiffra.';
  await expect(page.locator('#field-q-error')).toHaveText(message);

  const response = await page.goto('/admin/personer?q=19840312-9820');
  expect(response?.status()).toBe(400);
  await expect(page.locator('#field-q-error')).toHaveText(message);
});
