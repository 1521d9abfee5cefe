import { defineConfig } from 'drizzle-kit';

/** The PostgreSQL engine's migrations; the SQLite ones come from drizzle.config.ts. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/postgres/schema.ts',
  out: './db/postgres/migrations',
  strict: true,
});
