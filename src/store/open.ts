// Opens the store the configuration names: PostgreSQL when DATABASE_URL is postgres://…,
// else the embedded SQLite file.
import type { Config } from '../config.js';
import type { HistoryStore } from './history-store.js';
import { PostgresHistoryStore } from './postgres.js';
import { SqliteHistoryStore } from './sqlite.js';

export async function openStore(config: Pick<Config, 'dbPath' | 'databaseUrl'> & Partial<Pick<Config, 'sqliteSync'>>, onWrite?: (seconds: number, rows: number) => void): Promise<HistoryStore> {
  const options = onWrite ? { onWrite } : {};
  if (config.databaseUrl !== undefined) return PostgresHistoryStore.open(config.databaseUrl, options);
  return new SqliteHistoryStore(config.dbPath, { ...options, sync: config.sqliteSync ?? 'normal' });
}
