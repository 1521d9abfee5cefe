import { hashPassword } from '../app/auth/password.server';
import { databasePathFromEnv, openMigratedDatabase } from '../db/connection';
import { defaultDemoAgentToken, demoEndUsers, demoLogins, seedDemoData } from '../db/seed';

const path = databasePathFromEnv();
const db = openMigratedDatabase(path);
try {
  const summary = await seedDemoData(db, {
    hashPassword,
    demoAgentToken: process.env.DEMO_AGENT_TOKEN ?? defaultDemoAgentToken,
  });
  console.log(`Demo data in ${path}:`);
  console.table(summary);
  console.log('Demo logins (password):');
  console.table(demoLogins.map(({ username, password, role, sees }) => ({ username, password, role, sees })));
  console.log('End users (log in with SITHS eID, no password):');
  console.table(demoEndUsers.map(({ username, person }) => ({ username, person })));
} finally {
  db.$client.close();
}
