// Schema migrations: a history written by an older Polarity opens in this one, rows intact.
// The version-1 schemas below are copied from the migrations as they shipped (2026-11), so the
// upgrade path is tested from the real starting point, not from today's schema.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresHistoryStore } from '../src/store/postgres.js';
import { SqliteHistoryStore } from '../src/store/sqlite.js';
import { PG_URL, pgAvailable, pgSchema } from './pg-helpers.js';

const OLD_ROWS = [
  ['I love it', 0.5, 0.6, 1_600_000_000_000],
  ['awful', -1, 1, 1_600_000_001_000],
  ['a table', 0, 0, 1_600_000_002_000],
] as const;

test('SQLite: a version-1 history gains the engine column, every old row is textblob', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polarity-migrate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'old.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
    CREATE TABLE analyses (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, sentiment REAL NOT NULL,
      subjectivity REAL NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO meta (key, value) VALUES ('generation', 0);
    INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0);
  `);
  const insert = db.prepare('INSERT INTO analyses (text, sentiment, subjectivity, created_at) VALUES (?, ?, ?, ?)');
  for (const r of OLD_ROWS) insert.run(...r);
  db.close();

  return (async () => {
    const store = new SqliteHistoryStore(path);
    t.after(() => store.close());
    const rows = await store.rowsAfter(0, 10);
    assert.deepEqual(
      rows.map((r) => [r.text, r.sentiment, r.subjectivity, r.engine, r.label]),
      [
        ['I love it', 0.5, 0.6, 'textblob', 'positive'],
        ['awful', -1, 1, 'textblob', 'negative'],
        ['a table', 0, 0, 'textblob', 'neutral'],
      ],
    );
    const [added] = await store.insert([{ text: 'new', sentiment: 0.2, subjectivity: 0.1, engine: 'vader' }]);
    assert.equal(added!.id, 4, 'ids go on after the old rows');
    assert.equal((await store.get(4))?.engine, 'vader');
    // Version 3: retention's age cap walks an index on created_at, not the table.
    const check = new Database(path, { readonly: true });
    t.after(() => check.close());
    assert.equal(check.prepare('SELECT max(version) FROM schema_migrations').pluck().get(), 4);
    const plan = check.prepare('EXPLAIN QUERY PLAN SELECT id FROM analyses WHERE created_at < 0 ORDER BY created_at LIMIT 10').all() as { detail: string }[];
    assert.match(plan.map((p) => p.detail).join('; '), /USING COVERING INDEX analyses_created_at/);
    assert.equal(await store.trim({ maxAgeMs: 1000 }), 3, 'the old rows go by age, the new one stays');
    assert.deepEqual(
      (await store.rowsAfter(0, 10)).map((r) => r.text),
      ['new'],
    );
  })();
});

test('SQLite: a version-2 history gains the created_at index; rows intact', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polarity-migrate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'v2.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // The schema as version 2 shipped (2026-12).
  db.exec(`
    CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
    CREATE TABLE analyses (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, sentiment REAL NOT NULL,
      subjectivity REAL NOT NULL, created_at INTEGER NOT NULL, engine TEXT NOT NULL DEFAULT 'textblob');
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO meta (key, value) VALUES ('generation', 0);
    INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0), (2, 0);
  `);
  const insert = db.prepare('INSERT INTO analyses (text, sentiment, subjectivity, created_at, engine) VALUES (?, ?, ?, ?, ?)');
  for (const r of OLD_ROWS) insert.run(...r, 'vader');
  db.close();

  return (async () => {
    const store = new SqliteHistoryStore(path);
    t.after(() => store.close());
    assert.deepEqual(
      (await store.rowsAfter(0, 10)).map((r) => [r.text, r.engine]),
      OLD_ROWS.map((r) => [r[0], 'vader']),
    );
    const check = new Database(path, { readonly: true });
    t.after(() => check.close());
    assert.deepEqual(check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'analyses'").pluck().all(), ['analyses_created_at']);
    assert.equal(check.prepare('SELECT max(version) FROM schema_migrations').pluck().get(), 4);
    // Version 4: idempotency keys.
    const row = { text: 'retried', sentiment: 0, subjectivity: 0, engine: 'textblob' } as const;
    const first = await store.insertOnce({ key: 'k', fingerprint: 'f' }, [row]);
    assert.equal(first.outcome, 'stored');
    assert.equal((await store.insertOnce({ key: 'k', fingerprint: 'f' }, [row])).outcome, 'replayed');
    assert.equal(await store.count(), OLD_ROWS.length + 1);
  })();
});

test('PostgreSQL: a version-1 history gains the engine column, every old row is textblob', async (t) => {
  const skip = await pgAvailable();
  if (skip) return t.skip(skip);
  const { schema, drop } = await pgSchema();
  t.after(drop);
  const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await c.connect();
  await c.query(`
    CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE analyses (id bigserial PRIMARY KEY, text text NOT NULL, text_bytes bytea,
      sentiment double precision NOT NULL, subjectivity double precision NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now());
    CREATE INDEX analyses_created_at ON analyses (created_at);
    INSERT INTO schema_migrations (version) VALUES (1);
  `);
  for (const [text, s, j, at] of OLD_ROWS) {
    await c.query('INSERT INTO analyses (text, sentiment, subjectivity, created_at) VALUES ($1, $2, $3, $4)', [text, s, j, new Date(at)]);
  }
  await c.end();

  const store = await PostgresHistoryStore.open(PG_URL, { schema });
  t.after(() => store.close());
  const rows = await store.rowsAfter(0, 10);
  assert.deepEqual(
    rows.map((r) => [r.text, r.engine, r.label]),
    [
      ['I love it', 'textblob', 'positive'],
      ['awful', 'textblob', 'negative'],
      ['a table', 'textblob', 'neutral'],
    ],
  );
  const [added] = await store.insert([{ text: 'new', sentiment: 0.2, subjectivity: 0.1, engine: 'blend' }]);
  assert.equal((await store.get(added!.id))?.engine, 'blend');
  // Version 3: idempotency keys.
  const row = { text: 'retried', sentiment: 0, subjectivity: 0, engine: 'textblob' } as const;
  assert.equal((await store.insertOnce({ key: 'k', fingerprint: 'f' }, [row])).outcome, 'stored');
  assert.equal((await store.insertOnce({ key: 'k', fingerprint: 'f' }, [row])).outcome, 'replayed');
  assert.equal(await store.count(), OLD_ROWS.length + 2);
});
