// Schema migrations for the SQLite store: numbered, applied in order, each in the same
// IMMEDIATE transaction as its bookkeeping row, so several processes starting at once apply
// each migration exactly once.
import type Database from 'better-sqlite3';

const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      -- AUTOINCREMENT: ids are never reused after a deletion, so a client's cursor stays valid.
      CREATE TABLE analyses (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        text         TEXT    NOT NULL,
        sentiment    REAL    NOT NULL,
        subjectivity REAL    NOT NULL,
        created_at   INTEGER NOT NULL -- milliseconds since the Unix epoch
      );
      -- Bumped by every deletion, so other processes know their cached newest rows are void.
      CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO meta (key, value) VALUES ('generation', 0);
    `,
  },
  {
    version: 2,
    sql: `
      -- The engine that scored the row; every row before engines could be chosen was TextBlob's.
      ALTER TABLE analyses ADD COLUMN engine TEXT NOT NULL DEFAULT 'textblob';
    `,
  },
  {
    version: 3,
    sql: `
      -- Retention's age cap walks this index (oldest first) instead of scanning the table inside a
      -- write transaction; count(*) for the row cap reads it too (SQLite counts the narrowest index).
      -- Building it reads the table once, at the first start of this version.
      CREATE INDEX analyses_created_at ON analyses (created_at);
    `,
  },
  {
    version: 4,
    sql: `
      -- Idempotency-Key: a retried POST with the same key and request replays the first answer
      -- (these ids, this time) instead of storing again. Expired keys are deleted by later calls.
      CREATE TABLE idempotency_keys (
        key         TEXT    PRIMARY KEY,
        fingerprint TEXT    NOT NULL,
        ids         TEXT    NOT NULL DEFAULT '[]', -- JSON array of the rows' ids, in request order
        created_at  INTEGER NOT NULL               -- ms since the epoch; also the rows' created_at
      ) WITHOUT ROWID;
      CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

export function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  db.transaction(() => {
    const current = (db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number | null) ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(`the database has schema version ${current}, newer than this Polarity (${SCHEMA_VERSION}); upgrade Polarity`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
    }
  }).immediate();
}
