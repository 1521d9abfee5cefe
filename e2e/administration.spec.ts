import { and, eq } from 'drizzle-orm';
import { first } from '../db/engine';
import { staffRoleAssignments, units, users } from '../db/schema';
import { expect, test } from './fixtures';
import { logInAndWaitForOverview, systemDatabase } from './helpers';

const sahlgrenskaHsaId = 'SE2321000131-S000000010100';
const kardiologiHsaId = 'SE2321000131-S000000010127';

test('a system admin gives kontakt.skovde the contact person role for Sahlgrenska, then takes it away', async ({
  page,
  system,
}) => {
  const db = await systemDatabase(system);
  const sahlgrenska = first(
    await db.select().from(units).where(eq(units.hsaId, sahlgrenskaHsaId)).limit(1),
  )!.id;
  const skovdeUser = first(
    await db.select().from(users).where(eq(users.username, 'kontakt.skovde')).limit(1),
  )!.id;
  const grantedRole = async () =>
    first(
      await db
        .select()
        .from(staffRoleAssignments)
        .where(and(eq(staffRoleAssignments.userId, skovdeUser), eq(staffRoleAssignments.unitId, sahlgrenska)))
        .limit(1),
    );

  await logInAndWaitForOverview(page, 'admin');
  await page
    .getByRole('navigation', { name: 'Huvudmeny' })
    .getByRole('link', { name: 'Administration' })
    .click();
  await expect(page.getByRole('heading', { name: 'Administration', exact: true })).toBeVisible();
  await expect(page.getByTestId(`unit-${kardiologiHsaId}`)).toBeVisible();

  const newUnit = page.getByRole('region', { name: 'Ny enhet' });
  await newUnit.getByLabel('HSA-id').fill('S000000010199');
  await newUnit.getByLabel('Namn').fill('Hjärtmottagning Sahlgrenska');
  await newUnit.getByLabel('Överordnad enhet').selectOption(sahlgrenska);
  await newUnit.getByRole('button', { name: 'Skapa enhet' }).click();
  await expect(page.locator('#field-hsaId-error')).toHaveText(
    'Ange ett giltigt HSA-id, till exempel SE2321000131-S000000010199.',
  );
  await newUnit.getByLabel('HSA-id').fill('SE2321000131-S000000010199');
  await newUnit.getByRole('button', { name: 'Skapa enhet' }).click();
  await expect(page.getByRole('status')).toHaveText('Enheten är skapad.');
  const created = page.getByTestId('unit-SE2321000131-S000000010199');
  await expect(created).toContainText('Hjärtmottagning Sahlgrenska');
  await created.getByRole('link', { name: 'Byt namn' }).click();
  await page.getByLabel('Nytt namn').fill('Hjärtmottagningen Sahlgrenska');
  await page.getByRole('button', { name: 'Spara namnet' }).click();
  await expect(page.getByRole('status')).toHaveText('Enheten har fått nytt namn.');
  await expect(created).toContainText('Hjärtmottagningen Sahlgrenska');

  const grant = page.getByRole('region', { name: 'Lägg till roll' });
  await grant.getByLabel('Användare').selectOption(skovdeUser);
  await grant.getByLabel('Roll').selectOption({ label: 'Kontaktperson' });
  await grant.getByRole('button', { name: 'Lägg till roll' }).click();
  await expect(page.locator('#field-roleUnitId-error')).toHaveText(
    'Chef och kontaktperson måste ha en enhet.',
  );
  expect(await grantedRole()).toBeUndefined();

  await grant.getByLabel('Enhet').selectOption(sahlgrenska);
  await grant.getByRole('button', { name: 'Lägg till roll' }).click();
  await expect(page.getByRole('status')).toHaveText('Rollen är tillagd.');
  const skovdeRow = page.getByTestId('staff-kontakt.skovde');
  await expect(skovdeRow).toContainText('Kontaktperson, Sahlgrenska Universitetssjukhuset');
  expect(await grantedRole()).toMatchObject({ role: 'contact_person' });

  await page.getByRole('button', { name: 'Logga ut' }).click();
  await logInAndWaitForOverview(page, 'kontakt.skovde');
  await page.goto('/admin/reservkort');
  await expect(page.getByTestId(`stock-${kardiologiHsaId}`)).toBeVisible();

  await page.getByRole('button', { name: 'Logga ut' }).click();
  await logInAndWaitForOverview(page, 'admin');
  await page.goto('/admin/administration');
  const assignmentId = (await grantedRole())!.id;
  await page.getByTestId(`role-${assignmentId}`).getByRole('link', { name: 'Ta bort' }).click();
  await expect(page.getByRole('heading', { name: 'Ta bort roll' })).toBeVisible();
  await page.getByRole('button', { name: 'Ta bort rollen' }).click();
  await expect(page.getByRole('status')).toHaveText('Rollen är borttagen.');
  await expect(page.getByTestId(`role-${assignmentId}`)).toHaveCount(0);
  expect(await grantedRole()).toBeUndefined();

  await page.getByRole('button', { name: 'Logga ut' }).click();
  await logInAndWaitForOverview(page, 'kontakt.skovde');
  await page.goto('/admin/reservkort');
  await expect(page.getByTestId('stock-SE2321000131-S000000030322')).toBeVisible();
  await expect(page.getByTestId(`stock-${kardiologiHsaId}`)).toHaveCount(0);
  await db.close();
});
