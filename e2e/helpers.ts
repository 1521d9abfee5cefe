import type { Page } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { type AppDatabase, openDatabase } from '../db/connection';
import { cards } from '../db/schema';
import { demoCards, demoLogins } from '../db/seed';
import { runCardCli } from '../test-support/pcscd';
import type { SithsSystem } from '../test-support/siths-system';
import { expect } from './fixtures';

export function demoPassword(username: string): string {
  const login = demoLogins.find((candidate) => candidate.username === username);
  if (!login) throw new Error(`no demo login ${username}`);
  return login.password;
}

export async function logIn(page: Page, username: string, password = demoPassword(username)) {
  await page.goto('/logga-in');
  await page.getByLabel('Användarnamn').fill(username);
  await page.getByLabel('Lösenord').fill(password);
  await page.getByRole('button', { name: 'Logga in' }).click();
}

export async function logInAndWaitForOverview(page: Page, username: string) {
  await logIn(page, username);
  await expect(page.getByRole('heading', { name: 'Översikt' })).toBeVisible();
}

/** The database of the system under test, for checking what the pages show; the caller closes it. */
export async function systemDatabase(system: SithsSystem): Promise<AppDatabase> {
  return await openDatabase(system.databasePath);
}

/** The phone simulator reads the QR code the page shows. */
export async function scanWithPhone(phone: Page) {
  await phone.bringToFront();
  await phone.getByRole('button', { name: 'Skanna QR-kod' }).click();
}

/**
 * "Hämta Mobilt SITHS" on Mina sidor (the page is logged in with a card): the phone simulator scans the
 * enrolment QR, is named and gets its code, and the page says the Mobile SITHS is ready.
 */
export async function getMobileSiths(page: Page, phone: Page, device: { name: string; code: string }) {
  await page.getByRole('link', { name: 'Hämta Mobilt SITHS' }).click();
  await page.getByLabel('Jag har läst och godkänner villkoren').check();
  await page.getByRole('button', { name: 'Hämta Mobilt SITHS' }).click();
  await expect(page.getByText('Skanna QR-koden med appen Mobilt SITHS i mobilen')).toBeVisible();
  await scanWithPhone(phone);
  await phone.getByLabel('Namn på mobilen').fill(device.name);
  await phone.getByLabel('Välj legitimeringskod (6–8 siffror)').fill(device.code);
  await phone.getByLabel('Upprepa legitimeringskoden').fill(device.code);
  await phone.getByRole('button', { name: 'Registrera' }).click();
  await expect(phone.getByText('Ditt Mobilt SITHS är klart att användas')).toBeVisible();
  await phone.getByRole('button', { name: 'OK' }).click();
  await page.bringToFront();
  await expect(page.getByText('Ditt Mobilt SITHS är klart')).toBeVisible();
}

/**
 * The worker's system keeps Carina's card in reader 0 with its PIN blocked (test-support/siths-system.ts): a
 * spec that unlocks it blocks it again when done, so the specs after it find the reader as they expect (a
 * second usable card would make a card login ask which card to use).
 */
export async function lockReaderZeroCardAgain(system: SithsSystem): Promise<void> {
  const locked = await runCardCli([
    'lock',
    '--serial',
    demoCards.lockedOrdinary,
    '--state-dir',
    system.cardStateDir,
  ]);
  if (locked.code !== 0) throw new Error(`could not lock the card again: ${locked.output}`);
  const db = await systemDatabase(system);
  try {
    await db.update(cards).set({ state: 'locked' }).where(eq(cards.serial, demoCards.lockedOrdinary));
  } finally {
    await db.close();
  }
}
