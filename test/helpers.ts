// Shared test set-up: an app on a fresh SQLite file, closed after the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { SqliteHistoryStore } from '../src/store/sqlite.js';

/** The repository root (tests run from dist/test/). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The defaults (validated as at start, no environment), one worker, silent; overrides on top. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return Object.freeze({ ...loadConfig({}, []), workers: 1, logLevel: 'silent' as const, ...overrides });
}

export function tempDir(t: { after: (fn: () => unknown) => void }, prefix = 'polarity-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function makeApp(t: { after: (fn: () => unknown) => void }, overrides: Partial<Config> = {}): Promise<{ app: FastifyInstance; store: SqliteHistoryStore; dbPath: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'polarity-app-'));
  const dbPath = overrides.dbPath ?? join(dir, 'history.db');
  const store = new SqliteHistoryStore(dbPath);
  const app = await buildApp({ config: testConfig({ dbPath, ...overrides }), store, logger: false });
  t.after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { app, store, dbPath };
}
