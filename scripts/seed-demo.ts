import { hashPassword } from '../app/auth/password.server';
import { databaseLocation, databaseUrlFromEnv, openDatabase } from '../db/connection';
import { redactedUrl } from '../db/engines/postgres';
import { defaultDemoAgentToken, demoEndUsers, demoLogins, seedDemoData } from '../db/seed';

const url = databaseUrlFromEnv();
const location = databaseLocation(url);
const db = await openDatabase(url);
try {
  const summary = await seedDemoData(db, {
    hashPassword,
    demoAgentToken: process.env.DEMO_AGENT_TOKEN ?? defaultDemoAgentToken,
  });
  console.log(`Demo data in ${location.engine === 'postgres' ? redactedUrl(location.url) : location.path}:`);
  console.table(summary);
  console.log('Demo logins (password):');
  console.table(demoLogins.map(({ username, password, role, sees }) => ({ username, password, role, sees })));
  console.log('End users (log in with SITHS eID, no password):');
  console.table(demoEndUsers.map(({ username, person }) => ({ username, person })));
} finally {
  await db.close();
}
