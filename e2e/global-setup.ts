import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCards } from '../db/seed';
import { startSithsSystem } from '../test-support/siths-system';
import { e2ePort } from './environment';

/** Starts pcscd, a virtual card, the server and an agent on a fresh demo database; returns the teardown. */
export default async function globalSetup() {
  const dataDir = mkdtempSync(join(tmpdir(), 'siths-e2e-'));
  const system = await startSithsSystem({
    dataDir,
    logDir: join(process.cwd(), 'test-results', 'system-logs'),
    port: e2ePort,
    insertedCards: [{ serial: demoCards.lockedOrdinary, slot: 0 }],
  });
  process.env.E2E_DATABASE_PATH = system.databasePath;
  process.env.E2E_CARD_STATE_DIR = system.cardStateDir;
  return async () => {
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
