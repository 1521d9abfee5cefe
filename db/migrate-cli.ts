import { databasePathFromEnv, openMigratedDatabase } from './connection';

const path = databasePathFromEnv();
openMigratedDatabase(path).$client.close();
console.log(`Database migrated: ${path}`);
