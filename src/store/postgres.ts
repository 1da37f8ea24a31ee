// The shared store: PostgreSQL, for several app hosts behind a load balancer.
//
// Same semantics as SQLite (test/store.test.ts runs against both):
// - Group commit: the inserts of one event-loop turn go out as one multi-row INSERT (one implicit
//   transaction); several batches may be in flight on the pool; callers are answered after COMMIT.
// - Ids in commit order: each INSERT first takes a transaction-scoped advisory lock, held until its
//   commit, so a row with a higher id is never visible before one with a lower id — from any host.
//   "Rows above the last id I saw" is then exactly what is new (live updates and export rely on it).
// - NUL: PostgreSQL `text` cannot hold U+0000. A text that has one is stored byte-exact as UTF-8
//   in `text_bytes`, with a readable copy (NUL → U+FFFD) in `text`; reads prefer `text_bytes`.
// - No history cache across requests (another host may have written since); concurrent reads of
//   the newest page that arrive in the same event-loop turn share one query, which starts after
//   they all arrived, so each still sees every row acknowledged before it was sent.
// - Other hosts' commits are heard through LISTEN/NOTIFY and reported to onCommit listeners.
// - Deadlines: a request's store call fails within REQUEST_DEADLINE_MS however the database
//   stalls. Before, an insert queued behind MAX_BATCHES_IN_FLIGHT batches waited for them (each up
//   to connectionTimeoutMillis 2 s for a pooled connection + query_timeout 5 s) and then for its own
//   batch: ~14 s measured in a hang. Now each insert has its own timer, inserts fail at once while a
//   write has been running over STALL_MS or MAX_PENDING_ROWS wait (as SQLite), and reads race a
//   timer (the abandoned query still ends at query_timeout, freeing its connection).
import pg from 'pg';
import type { EngineName, HistoryRow, HistoryStore, IdempotencyKey, ListOptions, NewRow, OnceResult, Page, PageJson, RetentionPolicy } from './history-store.js';
import { DeadlineError, GroupCommitQueue } from './group-commit.js';
import { migrate } from './postgres-migrations.js';
import { IDEMPOTENCY_TTL_MS, labelOf, PAGE_MAX_BYTES, PageBuilder } from './history-store.js';

const CHANNEL = 'polarity_history';
/** Key of the advisory lock that orders inserts (any constant shared by every host). */
const INSERT_LOCK = 7_262_015;
/** Key of the session lock held by the host running retention (one at a time across hosts). */
const RETENTION_LOCK = INSERT_LOCK + 2;
const MAX_BATCHES_IN_FLIGHT = 4;
/** Rows accepted and not yet answered; past this an insert fails at once (memory stays bounded). */
const MAX_PENDING_ROWS = 20_000;
/** A write running longer than this means the database is stalled: new inserts fail at once. */
const STALL_MS = 2_000;
const STALL_MESSAGE = `the history store is stalled (a write has been running for over ${STALL_MS / 1000} s)`;
/** Every store call made for a request fails after this long (ms): a hung database is a 503, not a hang. */
export const REQUEST_DEADLINE_MS = 4_000;
/** Retention and deleteAll delete in chunks sized to take about this long, far below statement_timeout. */
const CHUNK_TARGET_MS = 200;
/** Expired idempotency keys each insertOnce deletes (more than the one it adds, so they never pile up). */
const EXPIRED_KEYS_PER_CALL = 16;

interface DbRow {
  id: string;
  text: string;
  text_bytes: Buffer | null;
  sentiment: number;
  subjectivity: number;
  engine: string;
  created_at: Date;
}

const COLUMNS = 'id, text, text_bytes, sentiment, subjectivity, engine, created_at';

function toRow(r: DbRow): HistoryRow {
  return {
    id: Number(r.id),
    text: r.text_bytes === null ? r.text : r.text_bytes.toString('utf8'),
    sentiment: r.sentiment,
    subjectivity: r.subjectivity,
    label: labelOf(r.sentiment, r.engine as EngineName),
    engine: r.engine as EngineName,
    createdAt: r.created_at.toISOString(),
  };
}

export interface PostgresStoreOptions {
  readonly onWrite?: (seconds: number, rows: number) => void;
  /** Schema for the tables (tests use a throw-away one). Default: the connection's search_path. */
  readonly schema?: string;
  /** Connections in this process's pool. */
  readonly poolSize?: number;
  /** A query that takes longer fails (ms); a stalled database becomes a fast 503, not a hang. */
  readonly queryTimeoutMs?: number;
  /** Waiting longer than this for a pooled connection fails (ms). */
  readonly connectTimeoutMs?: number;
}

export class PostgresHistoryStore implements HistoryStore {
  private readonly pool: pg.Pool;
  private readonly listeners: ((rows: readonly HistoryRow[]) => void)[] = [];
  /** The inserts of one turn go out as one statement; up to MAX_BATCHES_IN_FLIGHT at once (group-commit.ts). */
  private readonly queue: GroupCommitQueue<NewRow, HistoryRow>;
  private closed = false;
  private newestWaiting = new Map<number, { resolve: (v: PageJson) => void; reject: (e: unknown) => void }[]>();
  private newestScheduled = false;
  private listener: pg.Client | undefined;
  private listenRetry: NodeJS.Timeout | undefined;
  private readonly table: string;

  private constructor(
    private readonly url: string,
    private readonly options: PostgresStoreOptions,
  ) {
    const timeout = options.queryTimeoutMs ?? 5000;
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 8,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      query_timeout: timeout,
      statement_timeout: timeout,
      idleTimeoutMillis: 30_000,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle client losing its connection (database restart) must not crash the process.
    this.pool.on('error', () => {});
    this.table = 'analyses';
    // A write already sent when its deadline passes may still commit (README, Known limits).
    this.queue = new GroupCommitQueue({
      write: (rows) => this.writeBatch(rows),
      maxPending: MAX_PENDING_ROWS,
      stallMs: STALL_MS,
      stallMessage: STALL_MESSAGE,
      maxInFlight: MAX_BATCHES_IN_FLIGHT,
      deadlineMs: REQUEST_DEADLINE_MS,
    });
  }

  /** Connects, applies migrations, starts listening for other hosts' commits. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresHistoryStore> {
    const store = new PostgresHistoryStore(url, options);
    try {
      await store.migrate();
    } catch (err) {
      await store.pool.end();
      throw err;
    }
    store.listen();
    return store;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await migrate(client, INSERT_LOCK + 1);
    } finally {
      client.release();
    }
  }

  /** A dedicated connection for LISTEN; reconnects after the database comes back. */
  private listen(): void {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: this.options.connectTimeoutMs ?? 2000 });
    const retry = () => {
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => {});
      if (!this.closed && this.listenRetry === undefined) {
        this.listenRetry = setTimeout(() => {
          this.listenRetry = undefined;
          this.listen();
        }, 1000);
        this.listenRetry.unref();
      }
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', () => {
      for (const l of this.listeners) l([]);
    });
    this.listener = client;
    client
      .connect()
      .then(() => client.query(`LISTEN ${CHANNEL}`))
      .then(() => {
        // Rows may have been committed while we were not listening.
        for (const l of this.listeners) l([]);
      })
      .catch(retry);
  }

  insert(rows: readonly NewRow[]): Promise<HistoryRow[]> {
    return this.queue.add(rows);
  }

  /**
   * Inserts rows in one statement: takes the ordering lock (held to the commit), draws ids in
   * input order, notifies the other hosts (delivered at commit). Answers the rows as stored.
   */
  private async insertRows(client: pg.Pool | pg.PoolClient, rows: readonly NewRow[], now: Date): Promise<HistoryRow[]> {
    const texts: string[] = [];
    const bytes: (Buffer | null)[] = [];
    for (const r of rows) {
      const hasNul = r.text.includes('\u0000');
      texts.push(hasNul ? r.text.replaceAll('\u0000', '\uFFFD') : r.text);
      bytes.push(hasNul ? Buffer.from(r.text, 'utf8') : null);
    }
    const result = await client.query<{ id: string; created_at: Date }>(
      `WITH lock AS (SELECT pg_advisory_xact_lock(${INSERT_LOCK})),
       ins AS (
         INSERT INTO ${this.table} (text, text_bytes, sentiment, subjectivity, engine, created_at)
         SELECT u.t, u.b, u.s, u.j, u.e, u.c
         FROM lock, unnest($1::text[], $2::bytea[], $3::float8[], $4::float8[], $5::text[], $6::timestamptz[]) WITH ORDINALITY AS u(t, b, s, j, e, c, n)
         ORDER BY u.n
         RETURNING id, created_at
       )
       SELECT ins.id, ins.created_at, pg_notify('${CHANNEL}', '') AS notified FROM ins ORDER BY ins.id`,
      [texts, bytes, rows.map((r) => r.sentiment), rows.map((r) => r.subjectivity), rows.map((r) => r.engine), rows.map((r) => r.createdAt ?? now)],
    );
    // Ids were drawn in input order (ORDER BY u.n), so ascending ids map onto the input rows.
    return result.rows.map((db, i) => {
      const r = rows[i]!;
      return { id: Number(db.id), text: r.text, sentiment: r.sentiment, subjectivity: r.subjectivity, label: labelOf(r.sentiment, r.engine), engine: r.engine, createdAt: db.created_at.toISOString() };
    });
  }

  /** One group commit (called by the queue): one statement, one implicit transaction. */
  private async writeBatch(rows: readonly NewRow[]): Promise<HistoryRow[]> {
    const started = process.hrtime.bigint();
    const saved = await this.insertRows(this.pool, rows, new Date());
    this.options.onWrite?.(Number(process.hrtime.bigint() - started) / 1e9, saved.length);
    for (const l of this.listeners) l(saved);
    return saved;
  }

  /** Work done for a request: it fails after REQUEST_DEADLINE_MS, whatever the database does. */
  private withDeadline<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineError(`the history store did not ${what} within ${REQUEST_DEADLINE_MS / 1000} s`)), REQUEST_DEADLINE_MS);
    });
    work.catch(() => {}); // when the deadline won, its failure is already answered
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }

  /** A query made for a request, under its deadline (the abandoned query still ends at query_timeout). */
  private query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.withDeadline(this.pool.query<R>(sql, params), 'answer');
  }

  /**
   * One transaction on its own connection. The key is claimed first: a concurrent transaction
   * claiming the same key waits on PostgreSQL's unique index until this one commits (then it
   * finds the key and replays) or rolls back (then it stores). The ordering lock is taken only
   * for the rows' INSERT, as the group commit does. Under the request deadline; a transaction cut
   * off by it may still commit, and a retry with the key then replays it instead of storing again.
   */
  insertOnce(key: IdempotencyKey, rows: readonly NewRow[]): Promise<OnceResult> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (this.queue.stalled()) return Promise.reject(new Error(STALL_MESSAGE));
    return this.withDeadline(this.queue.track(this.onceTransaction(key, rows)), 'commit');
  }

  private async onceTransaction(key: IdempotencyKey, rows: readonly NewRow[]): Promise<OnceResult> {
    const began = process.hrtime.bigint();
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const now = new Date();
      const cutoff = new Date(now.getTime() - IDEMPOTENCY_TTL_MS);
      await client.query('DELETE FROM idempotency_keys WHERE key = $1 AND created_at < $2', [key.key, cutoff]);
      const claimed = await client.query('INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING RETURNING key', [key.key, key.fingerprint, now]);
      if (claimed.rowCount === 0) {
        const { rows: known } = await client.query<{ fingerprint: string; ids: string[]; created_at: Date }>('SELECT fingerprint, ids, created_at FROM idempotency_keys WHERE key = $1', [key.key]);
        await client.query('COMMIT');
        const k = known[0]!;
        if (k.fingerprint !== key.fingerprint) return { outcome: 'mismatch' };
        return { outcome: 'replayed', ids: k.ids.map(Number), createdAt: k.created_at.toISOString() };
      }
      const fresh = rows.map((r) => (r.createdAt === undefined ? r : { ...r, createdAt: undefined }));
      const saved = fresh.length > 0 ? await this.insertRows(client, fresh, now) : [];
      await client.query('UPDATE idempotency_keys SET ids = $2 WHERE key = $1', [key.key, saved.map((r) => r.id)]);
      // A few expired keys; rows another transaction is deleting are skipped, not waited for.
      await client.query('DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)', [
        cutoff,
        EXPIRED_KEYS_PER_CALL,
      ]);
      await client.query('COMMIT');
      if (saved.length > 0) {
        this.options.onWrite?.(Number(process.hrtime.bigint() - began) / 1e9, saved.length);
        for (const l of this.listeners) l(saved);
      }
      return { outcome: 'stored', rows: saved };
    } catch (err) {
      broken = err;
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      // A connection whose transaction failed midway (timeout, lost connection) is not reused.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /**
   * A page read in one bounded query: the index is walked newest first for at most limit + 1
   * rows, a window sums the texts' bytes, and only the rows whose predecessors (all but the last)
   * fit the budget are sent — text bytes never exceed a row's JSON, so every row the exact budget
   * (PageBuilder) could take is sent, plus the one it refuses, which tells it that more exist.
   * octet_length reads a TOASTed text's size from its header without fetching it.
   */
  private async readPage({ limit, before }: ListOptions): Promise<PageBuilder> {
    const { rows } = await this.query<DbRow>(
      `SELECT ${COLUMNS} FROM (
         SELECT ${COLUMNS}, coalesce(sum(octet_length(text)) OVER (ORDER BY id DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING), 0) AS before_prev
         FROM ${this.table} WHERE id < $1 ORDER BY id DESC LIMIT $2
       ) p WHERE before_prev <= $3 ORDER BY id DESC`,
      [before ?? '9223372036854775807', limit + 1, PAGE_MAX_BYTES],
    );
    const page = new PageBuilder(limit);
    for (const r of rows) if (!page.add(toRow(r))) break;
    return page;
  }

  async list(options: ListOptions): Promise<Page> {
    const page = await this.readPage(options);
    return { rows: page.rows, more: page.more };
  }

  newestPageJson(limit: number): Promise<PageJson> {
    return new Promise((resolve, reject) => {
      let waiting = this.newestWaiting.get(limit);
      if (waiting === undefined) this.newestWaiting.set(limit, (waiting = []));
      waiting.push({ resolve, reject });
      if (!this.newestScheduled) {
        this.newestScheduled = true;
        // Every request that asked in this turn shares the query started after the turn.
        setImmediate(() => {
          this.newestScheduled = false;
          const all = this.newestWaiting;
          this.newestWaiting = new Map();
          for (const [lim, callers] of all) {
            this.readPage({ limit: lim }).then(
              (page) => {
                const value = { json: page.json(), more: page.more, lastId: page.rows.at(-1)?.id };
                for (const c of callers) c.resolve(value);
              },
              (err) => {
                for (const c of callers) c.reject(err);
              },
            );
          }
        });
      }
    });
  }

  async get(id: number): Promise<HistoryRow | undefined> {
    const { rows } = await this.query<DbRow>(`SELECT ${COLUMNS} FROM ${this.table} WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  async rowsAfter(afterId: number, limit: number): Promise<HistoryRow[]> {
    const { rows } = await this.query<DbRow>(`SELECT ${COLUMNS} FROM ${this.table} WHERE id > $1 ORDER BY id ASC LIMIT $2`, [afterId, limit]);
    return rows.map(toRow);
  }

  async delete(id: number): Promise<boolean> {
    const { rowCount } = await this.query(`DELETE FROM ${this.table} WHERE id = $1`, [id]);
    return (rowCount ?? 0) > 0;
  }

  /**
   * Deletes the oldest rows in chunks, each one statement sized to take about CHUNK_TARGET_MS
   * (one DELETE of millions of rows passed statement_timeout and deleted nothing). Each chunk
   * starts above the last id deleted, so it never walks the dead index entries of earlier chunks.
   */
  private async deleteChunks(client: pg.PoolClient | pg.Pool, where: { sql: string; params: unknown[] }, max: number, onChunk?: (rows: number, ms: number) => void): Promise<number> {
    let chunk = 1000;
    let after = '0';
    let deleted = 0;
    while (deleted < max) {
      const started = performance.now();
      const n = where.params.length;
      const { rows } = await client.query<{ n: string; last: string | null }>(
        `WITH d AS (
           DELETE FROM ${this.table} WHERE id IN (
             SELECT id FROM ${this.table} WHERE id > $${n + 1} ${where.sql} ORDER BY id LIMIT $${n + 2}
           ) RETURNING id
         ) SELECT count(*) AS n, max(id) AS last FROM d`,
        [...where.params, after, Math.min(chunk, max - deleted)],
      );
      const ms = performance.now() - started;
      const got = Number(rows[0]!.n);
      onChunk?.(got, ms);
      if (got === 0) break;
      deleted += got;
      after = rows[0]!.last!;
      // The next chunk in proportion to the time this one took (at most double, at least a quarter).
      chunk = Math.round(Math.min(20_000, Math.max(100, chunk / 4, Math.min(chunk * 2, (chunk * CHUNK_TARGET_MS) / Math.max(ms, 1)))));
    }
    return deleted;
  }

  async deleteAll(): Promise<number> {
    // Rows committed after this started stay (they were not there when it was asked).
    const { rows } = await this.query<{ last: string | null }>(`SELECT max(id) AS last FROM ${this.table}`);
    const last = rows[0]?.last;
    if (last === null || last === undefined) return 0;
    return this.deleteChunks(this.pool, { sql: 'AND id <= $1', params: [last] }, Infinity);
  }

  /**
   * Retention, by one host at a time (a session advisory lock; the others skip this round): the
   * row cap counts the rows (an index-only scan) and deletes the excess, oldest id first; the age
   * cap deletes by id among the rows past the cutoff (created_at index). Chunks as deleteAll.
   */
  async trim(policy: RetentionPolicy, onChunk?: (rows: number, ms: number) => void): Promise<number> {
    const client = await this.pool.connect();
    let locked = false;
    try {
      locked = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RETENTION_LOCK])).rows[0]!.ok;
      if (!locked) return 0;
      let deleted = 0;
      if (policy.maxRows !== undefined) {
        const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`);
        const excess = Number(rows[0]!.n) - policy.maxRows;
        if (excess > 0) deleted += await this.deleteChunks(client, { sql: '', params: [] }, excess, onChunk);
      }
      if (policy.maxAgeMs !== undefined) {
        const cutoff = new Date(Date.now() - policy.maxAgeMs);
        deleted += await this.deleteChunks(client, { sql: 'AND created_at < $1', params: [cutoff] }, Infinity, onChunk);
      }
      return deleted;
    } finally {
      if (locked) await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]).catch(() => {});
      client.release();
    }
  }

  async count(): Promise<number> {
    const { rows } = await this.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`);
    return Number(rows[0]!.n);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    await this.query('SELECT 1');
  }

  onCommit(listener: (rows: readonly HistoryRow[]) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close(); // inserts made before close() still commit
    if (this.listenRetry) clearTimeout(this.listenRetry);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    await this.pool.end();
  }
}
