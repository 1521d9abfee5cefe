import type { Page } from '@playwright/test';
import { type AppDatabase, openDatabase } from '../db/connection';
import { demoLogins } from '../db/seed';
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
