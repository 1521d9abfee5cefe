import { eq } from 'drizzle-orm';
import { first } from '../db/engine';
import { countOverview } from '../db/overview';
import { units } from '../db/schema';
import { demoLogins } from '../db/seed';
import { expandUnitSubtrees } from '../db/units';
import { expect, test } from './fixtures';
import { demoPassword, logIn, logInAndWaitForOverview, systemDatabase } from './helpers';

test('a contact person logs in and sees the overview counts of their own units', async ({ page, system }) => {
  const db = await systemDatabase(system);
  const login = demoLogins.find((candidate) => candidate.username === 'kontakt')!;
  const unitId = first(await db.select().from(units).where(eq(units.hsaId, login.unitHsaId!)).limit(1))!.id;
  const expected = await countOverview(db, await expandUnitSubtrees(db, [unitId]));
  const everything = await countOverview(db, 'all');
  await db.close();

  await logInAndWaitForOverview(page, 'kontakt');
  await expect(page.getByText('Dina enheter')).toBeVisible();
  await expect(page.getByTestId('count-persons')).toContainText(String(expected.persons));
  await expect(page.getByTestId('count-activeCards')).toContainText(String(expected.activeCards));
  await expect(page.getByTestId('count-reserveCardsInStock')).toContainText(
    String(expected.reserveCardsInStock),
  );
  await expect(page.getByTestId('count-openOrders')).toContainText(String(expected.openOrders));
  expect(expected.persons).toBeLessThan(everything.persons);
  await expect(page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link')).toHaveText([
    'Översikt',
    'Beställningar',
    'Att göra',
    'Reservkort',
    'Personer',
  ]);
});

test('a wrong password gets a Swedish message and no session', async ({ page }) => {
  const response = page.waitForResponse(
    (r) => r.url().includes('/logga-in') && r.request().method() === 'POST',
  );
  await logIn(page, 'chef', 'inte-rätt-lösenord');
  expect((await response).status()).toBe(401);
  await expect(page.getByRole('alert')).toHaveText('Fel användarnamn eller lösenord.');
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/logga-in\?redirectTo=%2Fadmin/);
});

test('an empty form is refused field by field', async ({ page }) => {
  await page.goto('/logga-in');
  await page.getByRole('button', { name: 'Logga in' }).click();
  await expect(page.locator('#field-username-error')).toHaveText('Ange ditt användarnamn.');
  await expect(page.locator('#field-password-error')).toHaveText('Ange ditt lösenord.');
});

test('a manager is refused the support view with 403 in Swedish', async ({ page }) => {
  await logInAndWaitForOverview(page, 'chef');
  const response = await page.goto('/admin/support');
  expect(response?.status()).toBe(403);
  await expect(page.getByRole('alert')).toHaveText('Du har inte behörighet till den här sidan.');
});

test('the dashboard switches to English and back', async ({ page }) => {
  await logInAndWaitForOverview(page, 'support');
  await page.getByRole('button', { name: 'In English' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await page.getByRole('button', { name: 'På svenska' }).click();
  await expect(page.getByRole('heading', { name: 'Översikt' })).toBeVisible();
});

test('logging out ends the session', async ({ page }) => {
  await logInAndWaitForOverview(page, 'admin');
  await page.getByRole('button', { name: 'Logga ut' }).click();
  await expect(page).toHaveURL(/\/logga-in$/);
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/logga-in\?redirectTo=/);
  expect(demoPassword('admin')).toBeTruthy();
});
