import { openDatabase } from '../db/connection';
import { startPostgresServer } from './postgres-server';
import { postgresTemplateDatabase } from './test-database';

/**
 * Vitest global setup of the PostgreSQL project: one throwaway cluster for the run, with a template database
 * migrated once; every test database is a copy of it (test-support/test-database.ts).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const server = await startPostgresServer({ settings: { max_connections: '300' } });
  const templateUrl = await server.createDatabase(postgresTemplateDatabase);
  const template = await openDatabase(templateUrl);
  await template.close();
  process.env.TEST_POSTGRES_ADMIN_URL = server.adminUrl;
  return async () => {
    await server.stop();
  };
}
