import type { Page } from '@playwright/test';
import { and, asc, eq, inArray, isNull, notInArray } from 'drizzle-orm';
import { personalIdentityNumber } from '../db/demo-fixtures';
import { first } from '../db/engine';
import { openOrderStates } from '../db/order-lifecycle';
import { eids, orders, persons, units, users } from '../db/schema';
import { demoLogins, demoPersons, demoProtectedPerson } from '../db/seed';
import { expandUnitSubtrees } from '../db/units';
import { createLdapDirectory } from '../server/directory/ldap-directory';
import { replaceAttributesLdif } from '../server/directory/ldif';
import { directorySettingsOf } from '../test-support/demo-directory';
import type { SithsSystem } from '../test-support/siths-system';
import { expect, test } from './fixtures';
import { logInAndWaitForOverview, systemDatabase } from './helpers';

const sara = demoProtectedPerson;
const withHyphen = (number: string) => `${number.slice(0, 8)}-${number.slice(8)}`;
const saraNumber = withHyphen(sara.personalIdentityNumber);
/** Persons other specs of the worker act on: none of them is made to leave. */
const usedElsewhere = [...Object.values(demoPersons).map((person) => person.hsaId), sara.hsaId];

interface Leaver {
  personId: string;
  hsaId: string;
  name: string;
  orderId: string;
  openOrders: number;
  /** What Att spärra says of the person's active SITHS eIDs, e.g. "1 kort". */
  activeEids: string;
}

/**
 * A generated person (no staff account, no other spec's) with a placed order and active SITHS eIDs, still in
 * the directory; in `unitIds` when given. The first by HSA-id, so each test takes one nobody has made leave.
 */
async function leaverToBe(system: SithsSystem, unitIds?: string[]): Promise<Leaver> {
  const db = await systemDatabase(system);
  try {
    const staff = (await db.select({ personId: users.personId }).from(users))
      .map((user) => user.personId)
      .filter((personId) => personId !== null);
    const placed = await db
      .select({
        personId: persons.id,
        hsaId: persons.hsaId,
        name: persons.givenName,
        surname: persons.surname,
        orderId: orders.id,
      })
      .from(orders)
      .innerJoin(persons, eq(persons.id, orders.personId))
      .where(
        and(
          eq(orders.state, 'placed'),
          isNull(persons.leftAt),
          eq(persons.protectedIdentity, false),
          notInArray(persons.hsaId, usedElsewhere),
          notInArray(persons.id, staff),
          ...(unitIds ? [inArray(orders.unitId, unitIds)] : []),
        ),
      )
      .orderBy(asc(persons.hsaId), asc(orders.id));
    for (const candidate of placed) {
      const active = await db
        .select()
        .from(eids)
        .where(and(eq(eids.personId, candidate.personId), eq(eids.state, 'active')));
      if (active.length === 0) continue;
      const cards = new Set(active.map((eid) => eid.cardId).filter((id) => id !== null)).size;
      const devices = new Set(active.map((eid) => eid.mobileDeviceId).filter((id) => id !== null)).size;
      const open = await db
        .select()
        .from(orders)
        .where(and(eq(orders.personId, candidate.personId), inArray(orders.state, [...openOrderStates])));
      return {
        personId: candidate.personId,
        hsaId: candidate.hsaId,
        name: `${candidate.name} ${candidate.surname}`,
        orderId: candidate.orderId,
        openOrders: open.length,
        activeEids: [cards > 0 && `${cards} kort`, devices > 0 && `${devices} Mobilt SITHS`]
          .filter(Boolean)
          .join(', '),
      };
    }
    throw new Error('the demo region has no generated person with a placed order and active SITHS eIDs left');
  } finally {
    await db.close();
  }
}

async function unitsOf(system: SithsSystem, username: string): Promise<string[]> {
  const unitHsaId = demoLogins.find((login) => login.username === username)!.unitHsaId!;
  const db = await systemDatabase(system);
  try {
    const unit = first(await db.select().from(units).where(eq(units.hsaId, unitHsaId)).limit(1))!;
    return await expandUnitSubtrees(db, [unit.id]);
  } finally {
    await db.close();
  }
}

/** The person's entry, found in the directory by HSA-id as the sync reads it. */
async function directoryDnOf(system: SithsSystem, hsaId: string): Promise<string> {
  const snapshot = await createLdapDirectory(directorySettingsOf(system.directory)).read({
    personsModifiedSince: null,
  });
  const entry = snapshot.persons.find((person) => person.hsaId === hsaId);
  if (!entry) throw new Error(`no entry with hsaIdentity ${hsaId} in the directory`);
  return entry.dn;
}

async function openDirectoryPage(page: Page) {
  await page
    .getByRole('navigation', { name: 'Huvudmeny' })
    .getByRole('link', { name: 'Administration' })
    .click();
  await page.getByRole('link', { name: 'HSA-katalogen och synkronisering' }).click();
  await expect(page.getByRole('heading', { name: 'HSA-katalogen', exact: true })).toBeVisible();
}

/** "Synkronisera nu", then the report until the run is done (the page revalidates every 2 s while it runs). */
async function synchroniseNow(page: Page) {
  await page.getByRole('button', { name: 'Synkronisera nu' }).click();
  await expect(page.getByRole('heading', { name: 'Rapport från synkroniseringen' })).toBeVisible();
  await expect(page.getByText('Synkroniseringen pågår. Sidan uppdateras av sig själv.')).toHaveCount(0, {
    timeout: 30_000,
  });
  await expect(page.getByText('Klar', { exact: true })).toBeVisible();
  await expect(page.getByText('Hela katalogen')).toBeVisible();
}

/** The person leaves the directory and the system administrator synchronises; the page shows the report. */
async function leaveRegion(page: Page, system: SithsSystem, leaver: Leaver) {
  await system.directory.delete(await directoryDnOf(system, leaver.hsaId));
  await logInAndWaitForOverview(page, 'admin');
  await openDirectoryPage(page);
  await synchroniseNow(page);
}

async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Logga ut' }).click();
}

test('a person who leaves the directory: the sync reports them, cancels their open order, and Att spärra lists their active SITHS eIDs', async ({
  page,
  system,
}) => {
  test.setTimeout(60_000);
  const leaver = await leaverToBe(system, await unitsOf(system, 'chef'));

  await logInAndWaitForOverview(page, 'admin');
  await openDirectoryPage(page);
  // The demo's first run: the whole directory, applied.
  const firstRun = page.getByRole('row').last();
  await expect(firstRun).toContainText('Synkronisering');
  await expect(firstRun).toContainText('Hela katalogen');
  await expect(firstRun).toContainText('Klar');

  await system.directory.delete(await directoryDnOf(system, leaver.hsaId));
  await synchroniseNow(page);
  const leftRow = page
    .getByRole('row')
    .filter({ hasText: 'Person har slutat' })
    .filter({ hasText: leaver.hsaId });
  await expect(leftRow).toHaveCount(1);
  await expect(leftRow).toContainText(leaver.name);
  await expect(page.locator('dl.facts > div').filter({ hasText: 'Beställningar som avbröts' })).toHaveText(
    `Beställningar som avbröts${leaver.openOrders}`,
  );
  await logOut(page);

  await logInAndWaitForOverview(page, 'idadmin1');
  await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Att spärra' }).click();
  await expect(page.getByRole('heading', { name: /^Att spärra \(\d+\)$/ })).toBeVisible();
  const toRevoke = page.getByTestId('leavers-to-revoke').getByRole('row').filter({ hasText: leaver.hsaId });
  await expect(toRevoke).toContainText(leaver.name);
  await expect(toRevoke).toContainText(leaver.activeEids);
  await expect(toRevoke.getByRole('link', { name: 'Spärra' })).toBeVisible();

  await page.goto(`/admin/bestallningar/${leaver.orderId}`);
  await expect(page.getByTestId('order-state')).toHaveText('Avbruten');
  await expect(page.getByTestId('order-event').last()).toContainText(
    'Personen har slutat enligt HSA-katalogen',
  );
  await logOut(page);

  // The manager who placed it sees why the order went.
  await logInAndWaitForOverview(page, 'chef');
  await page.goto(`/admin/bestallningar/${leaver.orderId}`);
  await expect(page.getByTestId('order-state')).toHaveText('Avbruten');
  await expect(page.getByTestId('order-event').last()).toContainText('Lagd → Avbruten');
  await expect(page.getByTestId('order-event').last()).toContainText(
    'Personen har slutat enligt HSA-katalogen',
  );
});

test('Spärra on Att spärra opens a page where the leaver’s SITHS eIDs can be revoked', async ({
  page,
  system,
}) => {
  test.setTimeout(60_000);
  const leaver = await leaverToBe(system);
  await leaveRegion(page, system, leaver);
  await logOut(page);

  await logInAndWaitForOverview(page, 'idadmin1');
  await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Att spärra' }).click();
  await page
    .getByTestId('leavers-to-revoke')
    .getByRole('row')
    .filter({ hasText: leaver.hsaId })
    .getByRole('link', { name: 'Spärra' })
    .click();
  await expect(page).toHaveURL(new RegExp(`/admin/personer/${leaver.personId}$`));
  await expect(page.getByRole('heading', { name: leaver.name })).toBeVisible();
  await expect(page.getByTestId('person-left')).toContainText('Har slutat enligt HSA-katalogen');
  await page
    .getByRole('link', { name: /^Spärra (kort|SITHS eID)$/ })
    .first()
    .click();
  await expect(page.getByLabel('Orsak')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Något gick fel' })).toHaveCount(0);
});

test('a protected identity is nobody to a contact person without the right, and found, badged, by the manager who holds it', async ({
  page,
  system,
}) => {
  const db = await systemDatabase(system);
  const saraId = first(await db.select().from(persons).where(eq(persons.hsaId, sara.hsaId)).limit(1))!.id;
  await db.close();
  const search = async (query: string) => {
    await page.getByLabel('Sök person').fill(query);
    await page.getByRole('button', { name: 'Sök' }).click();
    await page.waitForURL((url) => url.searchParams.get('q') === query);
    const results = page.getByRole('region', { name: 'Sökresultat' });
    await expect(results).not.toBeEmpty();
    return (await results.textContent())!.trim();
  };

  await logInAndWaitForOverview(page, 'kontakt');
  await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Personer' }).click();
  // A valid personnummer and a name that nobody in the region has.
  const nobodyByNumber = await search(withHyphen(personalIdentityNumber('19000101', 2)));
  expect(nobodyByNumber).toBe('Ingen person med det HSA-id:t eller personnumret finns i HSA-katalogen.');
  expect(await search(saraNumber)).toBe(nobodyByNumber);
  expect(await search(sara.hsaId)).toBe(nobodyByNumber);
  const nobodyByName = await search('Zelda Quist');
  expect(nobodyByName).toBe('Ingen person med det namnet finns i dina enheter.');
  expect(await search(`${sara.givenName} ${sara.surname}`)).toBe(nobodyByName);

  const unknown = await page.goto('/admin/personer/00000000-0000-4000-8000-000000000000');
  const unknownAnswer = await page.getByRole('alert').textContent();
  const hers = await page.goto(`/admin/personer/${saraId}`);
  expect(hers?.status()).toBe(404);
  expect(hers?.status()).toBe(unknown?.status());
  await expect(page.getByRole('alert')).toHaveText(unknownAnswer!);
  await expect(page.getByText(sara.surname)).toHaveCount(0);
  await page.goto('/admin');
  await logOut(page);

  await logInAndWaitForOverview(page, 'chef');
  await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Personer' }).click();
  await page.getByLabel('Sök person').fill(saraNumber);
  await page.getByRole('button', { name: 'Sök' }).click();
  const found = page.getByTestId('person-results').getByRole('row').filter({ hasText: sara.hsaId });
  await expect(found).toContainText(`${sara.givenName} ${sara.surname}`);
  await expect(found.getByTestId('protected-identity')).toHaveText('Skyddad identitet');
  await found.getByRole('link', { name: `${sara.givenName} ${sara.surname}` }).click();
  await expect(page.getByRole('heading', { name: `${sara.givenName} ${sara.surname}` })).toBeVisible();
  await expect(page.getByTestId('protected-identity').first()).toHaveText('Skyddad identitet');
});

test('the directory report names a changed protected identity only as Skyddad identitet', async ({
  page,
  system,
}) => {
  const dn = await directoryDnOf(system, sara.hsaId);
  await system.directory.modify(replaceAttributesLdif(dn, { mail: `sara.lund.${Date.now()}@vgregion.se` }));

  await logInAndWaitForOverview(page, 'admin');
  await openDirectoryPage(page);
  await synchroniseNow(page);
  const changed = page
    .getByRole('row')
    .filter({ hasText: 'Person ändrad' })
    .filter({ hasText: 'Skyddad identitet' });
  await expect(changed).toHaveCount(1);
  await expect(changed.getByRole('cell')).toHaveText([
    'Person ändrad',
    'Skyddad identitet',
    'Skyddad identitet',
    'e-post',
  ]);
  await expect(page.getByText(sara.hsaId)).toHaveCount(0);
  await expect(page.getByText(`${sara.givenName} ${sara.surname}`)).toHaveCount(0);
});
