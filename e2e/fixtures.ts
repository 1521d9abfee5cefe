import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import { demoCards } from '../db/seed';
import { type SithsSystem, startSithsSystem } from '../test-support/siths-system';
import { e2eAgentUiPort, e2ePort } from './environment';

/**
 * The whole system (pcscd, a virtual card, server, agent) once per worker, on a fresh demo database.
 * A worker fixture rather than globalSetup, so tests can act on it: kill the agent, insert cards.
 */
export const test = base.extend<object, { system: SithsSystem }>({
  system: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the fixtures argument to be destructured.
    async ({}, use) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'siths-e2e-'));
      const system = await startSithsSystem({
        dataDir,
        logDir: join(process.cwd(), 'test-results', 'system-logs'),
        port: e2ePort,
        agentUiPort: e2eAgentUiPort,
        waitForPcscdMs: 5 * 60_000,
        loginRateLimitPerMinute: 1_000,
        insertedCards: [{ serial: demoCards.lockedOrdinary, slot: 0 }],
      });
      await use(system);
      await system.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    { scope: 'worker', auto: true, timeout: 420_000 },
  ],
});

export { expect } from '@playwright/test';
