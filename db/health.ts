import { sql } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { queryRows } from './engine';

/** Whether the database answers a trivial query now: the readiness a load balancer asks for. */
export async function databaseAnswers(db: AppDatabase): Promise<boolean> {
  try {
    await queryRows(db, sql`select 1 as answer`);
    return true;
  } catch {
    return false;
  }
}
