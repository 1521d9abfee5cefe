import { expect, type Page } from '@playwright/test';
import { openDatabase } from '../db/connection';
import { demoLogins } from '../db/seed';

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

/** The database of the system under test, read-only, for checking what the pages show. */
export function systemDatabase() {
  const path = process.env.E2E_DATABASE_PATH;
  if (!path) throw new Error('E2E_DATABASE_PATH is not set: run through playwright test');
  return openDatabase(path);
}
