import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabaseEngine } from '../test-support/test-database';

interface Exit {
  code: number | null;
  lines: string[];
  millis: number;
}

/** The server as an operator starts it, with only DATABASE_URL pointing somewhere it cannot use. */
function startServer(databaseUrl: string): Promise<Exit> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'server/main.ts'],
      { env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'info' }, timeout: 40_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          lines: `${stdout}${stderr}`.split('\n').filter((line) => line.trim() !== ''),
          millis: Date.now() - started,
        });
      },
    );
  });
}

function messageOf(line: string): string {
  return String((JSON.parse(line) as { msg?: unknown }).msg);
}

// tsx compiles the server on each start: seconds on this two-core machine, not a hang.
const startBudgetMs = 30_000;

describe('a DATABASE_URL the server cannot use', () => {
  let folder: string | undefined;
  afterEach(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
    folder = undefined;
  });

  it.skipIf(testDatabaseEngine() !== 'sqlite')(
    'PostgreSQL on a closed port: one line without the password, exit 1',
    async () => {
      const exit = await startServer('postgres://siths:hemligt@127.0.0.1:1/x');
      expect(exit.code).toBe(1);
      expect(exit.millis).toBeLessThan(startBudgetMs);
      expect(exit.lines).toHaveLength(1);
      expect(messageOf(exit.lines[0]!)).toMatch(/cannot open its database.*127\.0\.0\.1:1.*ECONNREFUSED/);
      expect(exit.lines[0]).not.toContain('hemligt');
    },
    startBudgetMs + 10_000,
  );

  it.skipIf(testDatabaseEngine() !== 'sqlite')(
    'SQLite under a file that is not a folder: one line, exit 1, nothing written',
    async () => {
      folder = mkdtempSync(join(tmpdir(), 'siths-desk-startup-'));
      writeFileSync(join(folder, 'plain-file'), 'x');
      const exit = await startServer(join(folder, 'plain-file', 'desk.sqlite'));
      expect(exit.code).toBe(1);
      expect(exit.lines).toHaveLength(1);
      expect(messageOf(exit.lines[0]!)).toMatch(/cannot open its database.*plain-file/);
      expect(readdirSync(folder)).toEqual(['plain-file']);
      expect(statSync(join(folder, 'plain-file')).size).toBe(1);
    },
    startBudgetMs + 10_000,
  );

  it.skipIf(testDatabaseEngine() !== 'postgres')(
    'a database the running PostgreSQL does not have: one line, exit 1',
    async () => {
      const url = new URL(process.env.TEST_POSTGRES_ADMIN_URL!);
      url.pathname = '/no_such_desk';
      url.password = 'hemligt';
      const exit = await startServer(url.toString());
      expect(exit.code).toBe(1);
      expect(exit.millis).toBeLessThan(startBudgetMs);
      expect(exit.lines).toHaveLength(1);
      expect(messageOf(exit.lines[0]!)).toMatch(/cannot open its database.*no_such_desk.*does not exist/);
      expect(exit.lines[0]).not.toContain('hemligt');
    },
    startBudgetMs + 10_000,
  );
});
