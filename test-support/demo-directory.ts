import { join } from 'node:path';
import pino from 'pino';
import type { AppDatabase } from '../db/connection';
import { lastCompletedApplyRun } from '../db/directory-sync-runs';
import { demoDirectoryIds } from '../db/seed';
import { demoRegionLdif } from '../server/directory/demo-region-ldif';
import { createDirectorySync } from '../server/directory/directory-sync-service';
import { createLdapDirectory, type LdapDirectorySettings } from '../server/directory/ldap-directory';
import { type Slapd, startSlapd } from './slapd';

/**
 * The demo region's HSA directory: a slapd of its own in `dataDir/directory`, loaded with the demo region on
 * its first start and kept (with what was changed in it) on later ones.
 */
export function startDemoDirectory(options: { dataDir: string; port?: number; now: Date }): Promise<Slapd> {
  return startSlapd({
    dir: join(options.dataDir, 'directory'),
    ...(options.port === undefined ? {} : { port: options.port }),
    ldif: demoRegionLdif(options.now),
  });
}

export function directorySettingsOf(slapd: Slapd): LdapDirectorySettings {
  return { url: slapd.url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, baseDn: slapd.suffix };
}

/** What the server needs in its environment to sync the demo directory (DIRECTORY_*). */
export function directoryEnvironment(slapd: Slapd): Record<string, string> {
  return {
    DIRECTORY_URL: slapd.url,
    DIRECTORY_BIND_DN: slapd.bindDn,
    DIRECTORY_BIND_PASSWORD: slapd.bindPassword,
    DIRECTORY_BASE_DN: slapd.suffix,
  };
}

/**
 * The demo's first sync: the units and persons of an empty database come from the directory, with the ids
 * the seed gives them, so the seed can add cards, accounts and orders for them. Does nothing once a run
 * has applied the directory.
 */
export async function firstDemoDirectorySync(db: AppDatabase, slapd: Slapd, now: Date): Promise<void> {
  if (await lastCompletedApplyRun(db)) return;
  const sync = createDirectorySync({
    db,
    source: createLdapDirectory(directorySettingsOf(slapd)),
    logger: pino({ level: 'silent' }),
    idFor: demoDirectoryIds(now),
  });
  const start = await sync.start({
    mode: 'apply',
    userId: null,
    actorLabel: 'demo',
    kind: 'full',
    firstRunConfirmed: true,
  });
  if (!start.started) throw new Error(`The demo's first directory sync did not start: ${start.reason}`);
  const run = await start.finished;
  if (run.state !== 'completed' || run.counts.problems > 0) {
    throw new Error(`The demo's first directory sync ended ${run.state} (${run.faultMessage ?? ''}).`);
  }
}
