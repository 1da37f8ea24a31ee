// Schema migrations for the PostgreSQL store: numbered, applied in order in one transaction with
// their bookkeeping rows, one migrator at a time across every host starting at once (an advisory
// lock). The SQLite store's are in sqlite-migrations.ts.
import type pg from 'pg';

const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE analyses (
        id           bigserial PRIMARY KEY,
        text         text             NOT NULL,
        text_bytes   bytea,           -- exact UTF-8 when the text holds NUL, else NULL
        sentiment    double precision NOT NULL,
        subjectivity double precision NOT NULL,
        created_at   timestamptz      NOT NULL DEFAULT now()
      );
      CREATE INDEX analyses_created_at ON analyses (created_at);
    `,
  },
  {
    version: 2,
    // The engine that scored the row; every row before engines could be chosen was TextBlob's.
    // A constant default: PostgreSQL 11+ adds the column without rewriting the table.
    sql: `ALTER TABLE analyses ADD COLUMN engine text NOT NULL DEFAULT 'textblob';`,
  },
  {
    version: 3,
    // Idempotency-Key: a retried POST with the same key and request replays the first answer
    // (these ids, this time) instead of storing again. Expired keys are deleted by later calls.
    sql: `
      CREATE TABLE idempotency_keys (
        key         text        PRIMARY KEY,
        fingerprint text        NOT NULL,
        ids         bigint[]    NOT NULL DEFAULT '{}', -- the rows' ids, in request order
        created_at  timestamptz NOT NULL               -- also the rows' created_at
      );
      CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** Brings the schema on the connection's search_path up to SCHEMA_VERSION. */
export async function migrate(client: pg.PoolClient, lockKey: number): Promise<void> {
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = rows[0]?.v ?? 0;
    if (current > SCHEMA_VERSION) throw new Error(`the database has schema version ${current}, newer than this Polarity (${SCHEMA_VERSION}); upgrade Polarity`);
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
