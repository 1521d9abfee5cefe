import { and, eq } from 'drizzle-orm';
import { auditEvents, cards, persons } from '../db/schema';
import { demoCards, demoPersons } from '../db/seed';
import { expect, test } from './fixtures';
import { lockReaderZeroCardAgain, logInAndWaitForOverview, systemDatabase } from './helpers';
import { renderedLines } from './layout';
import { captureScreen } from './screens';

/**
 * Issue 16, assisted unlock, from the user's call to the mail: Carina has no Mobile SITHS and her card is
 * locked. She opens the SITHS eID-app and presses "Få hjälp av support"; Lars Eriksson (ID-administrator)
 * opens her person page, types the code she reads out, sees her card in her reader, records how he checked
 * her identity and starts the unlock. The card proves itself (9E), Carina chooses the new code in the app
 * (the code policy refuses a run first), Lars watches every step, and the unlock mail goes out.
 */
test('assisted unlock: support code, pairing, identity check, new code in the app, mail', async ({
  page,
  system,
}, testInfo) => {
  test.setTimeout(180_000);
  const screen = (on: typeof page, name: string, caption: string) =>
    captureScreen(on, testInfo, 'assisterad-upplasning', name, caption);
  const db = await systemDatabase(system);
  try {
    // The card in reader 0 is Carina's, its PIN blocked (also after an earlier spec that unlocked it).
    await lockReaderZeroCardAgain(system);
    const mailsBefore = system.mailCatcher!.mails.length;
    const carina = (await db.select().from(persons).where(eq(persons.hsaId, demoPersons.carina.hsaId)))[0]!;

    const agentUi = await page.context().newPage();
    await agentUi.goto(system.agentUiUrl);
    await expect(agentUi.getByText('Klar att användas')).toBeVisible();
    await agentUi.getByRole('button', { name: 'Få hjälp av support' }).click();
    const shownCode = agentUi.locator('#support-code');
    await expect(shownCode).toHaveText(/^\d{3} \d{3}$/);
    await expect(agentUi.getByText(/Läs upp koden för supporten/)).toBeVisible();
    await screen(
      agentUi,
      '01-app-supportkod',
      'SITHS eID-appen: Få hjälp av support visar en kod att läsa upp',
    );
    const supportCode = (await shownCode.textContent())!;

    await page.bringToFront();
    await logInAndWaitForOverview(page, 'idadmin1');
    await page.goto(`/admin/personer/${carina.id}`);
    await page.getByRole('link', { name: 'Lås upp kort med personen i telefon' }).click();
    await expect(page.getByRole('heading', { name: 'Lås upp kort med användaren i telefon' })).toBeVisible();
    await expect(page.getByText('Carina Svensson Andersson')).toBeVisible();
    await page.getByLabel('Supportkod').fill(supportCode);
    await screen(page, '02-supportkod', 'ID-administratören skriver in supportkoden för personen');
    await page.getByRole('button', { name: 'Koppla till användarens dator' }).click();

    const readers = page.getByTestId('assist-readers');
    const cardRow = readers.getByRole('row').filter({ hasText: demoCards.lockedOrdinary });
    await expect(cardRow).toContainText('Virtual PCD 00 00');
    await expect(cardRow).toContainText('Ja');
    await expect(agentUi.getByText('Lars Eriksson på support är kopplad till den här datorn')).toBeVisible();

    // How identity was checked: a passport, its number ending in 4711.
    await page.getByLabel('Giltig ID-handling').check();
    await page.getByLabel('Typ av ID-handling').selectOption({ label: 'Pass' });
    await page.getByLabel('ID-handlingens nummer, de fyra sista tecknen').fill('4711');
    await page
      .getByLabel('Kort att låsa upp')
      .selectOption({ label: `${demoCards.lockedOrdinary} – Virtual PCD 00 00` });
    await screen(page, '03-kopplad', 'Kopplad: kortet i läsaren, identitetskontroll och kort att låsa upp');
    await page.getByRole('button', { name: 'Lås upp kort' }).click();

    await agentUi.bringToFront();
    await expect(
      agentUi.getByText('Lars Eriksson på support hjälper dig att låsa upp kortet.'),
    ).toBeVisible();
    await expect(agentUi.getByLabel('Ny säkerhetskod (PIN1)')).toBeVisible();
    await screen(agentUi, '04-app-ny-kod', 'SITHS eID-appen: support hjälper, välj en ny kod');
    // The code policy: a run up is refused in the app before anything reaches the card.
    await agentUi.getByLabel('Ny säkerhetskod (PIN1)').fill('234567');
    await agentUi.getByLabel('Upprepa den nya säkerhetskoden').fill('234567');
    await agentUi.getByRole('button', { name: 'Lås upp kort' }).click();
    await expect(agentUi.getByText(/får inte vara en sifferföljd uppåt eller nedåt/)).toBeVisible();

    await page.bringToFront();
    const job = page.getByTestId('assist-job');
    await expect(job).toContainText('Användaren väljer ny kod i SITHS eID-appen');
    await expect(job).toContainText('Kortets äkthet kontrollerad');
    await screen(page, '05-pagar', 'ID-administratören följer varje steg medan användaren väljer kod');

    await agentUi.bringToFront();
    await agentUi.getByLabel('Ny säkerhetskod (PIN1)').fill('704913');
    await agentUi.getByLabel('Upprepa den nya säkerhetskoden').fill('704913');
    await agentUi.getByRole('button', { name: 'Lås upp kort' }).click();
    await expect(agentUi.getByText('Kortet är upplåst')).toBeVisible();

    await page.bringToFront();
    await expect(job).toContainText('Kortet är upplåst');
    await screen(page, '06-upplast', 'Kortet är upplåst; avsluta kopplingen');
    await page.getByRole('button', { name: 'Avsluta kopplingen' }).click();
    await expect(page.getByRole('heading', { name: 'Carina Svensson Andersson' })).toBeVisible();
    const history = page.getByTestId('assisted-unlocks');
    await expect(history).toContainText('Lars Eriksson');
    await expect(history).toContainText('Pass, …4711');
    await expect(history).toContainText('Upplåst');
    // The dashboard's dates stay on one line in their cells too ("2028-11-29", not "2028-" over "11-29").
    expect(await renderedLines(page.getByTestId('valid-eids').locator('td.date').first())).toBe(1);
    expect(await renderedLines(history.locator('td.date').first())).toBe(1);
    await screen(page, '07-personsidan', 'Personsidan visar upplåsningen med support');
    await expect(agentUi.getByText('Lars Eriksson på support är kopplad till den här datorn')).toHaveCount(0);

    const mail = await system.mailCatcher!.waitForMail(
      (candidate) =>
        system.mailCatcher!.mails.indexOf(candidate) >= mailsBefore &&
        (candidate.text ?? '').includes(demoCards.lockedOrdinary),
      20_000,
    );
    expect(mail.subject).toBe('Upplåsning av SITHS-kort i TEST-miljö');
    const [card] = await db.select().from(cards).where(eq(cards.serial, demoCards.lockedOrdinary));
    expect(card?.state).toBe('active');
    const audited = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'card_unlock_assisted'), eq(auditEvents.objectId, card!.id)));
    expect(audited.at(-1)).toMatchObject({
      outcome: 'success',
      actorLabel: 'Lars Eriksson',
      detail: expect.objectContaining({
        identityCheck: 'id_document',
        documentType: 'passport',
        documentNumberEnd: '4711',
      }),
    });
  } finally {
    await db.close();
    await lockReaderZeroCardAgain(system);
  }
});
