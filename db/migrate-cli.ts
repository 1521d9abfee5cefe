import { databaseUrlFromEnv, openDatabase } from './connection';

const path = databaseUrlFromEnv();
const db = await openDatabase(path);
await db.close();
console.log(`Database migrated: ${path}`);
