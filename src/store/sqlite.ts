// The embedded store: one SQLite file shared by every worker process of a machine.
//
// Writes: every insert of one event-loop turn joins one transaction, committed on this thread in
// the check phase after the turn's requests were read (group commit); callers' promises resolve
// only after COMMIT returns. In WAL mode with synchronous=NORMAL (the default; --sqlite-sync) a
// commit is a write() to the WAL, no fsync: it survives the process being killed, and the last
// commits may roll back on power loss or an OS crash. synchronous=FULL adds an fsync per group
// commit, on this thread.
// Several processes write the same file: SQLite lets one hold the write lock at a time, and its
// busy handler would wait by sleeping the whole event loop. So the connection never waits
// (busy_timeout=0): a transaction that finds the lock taken is retried on a later turn, and the
// inserts that arrive meanwhile join it.
//
// Reads: the newest rows are kept in memory and the newest page is kept serialized, because
// reading and serializing 50 rows per GET /history costs most of a request (MEASUREMENTS.md).
// The cache stays exact across processes: `PRAGMA data_version` changes whenever another
// connection commits, ids are assigned in commit order (writers are serialized), so
// "rows with id > newest cached id" is exactly what is missing; deletions bump a generation
// counter in the same transaction and force a full reload. The cache is bounded like a page: at
// most CACHED_PAGE_MAX + 1 rows and PAGE_MAX_BYTES of JSON (plus the row that crosses it).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { EngineName, HistoryRow, HistoryStore, IdempotencyKey, ListOptions, NewRow, OnceResult, Page, PageJson, RetentionPolicy } from './history-store.js';
import { IDEMPOTENCY_TTL_MS, labelOf, PAGE_MAX_BYTES, PageBuilder } from './history-store.js';
import { GroupCommitQueue } from './group-commit.js';
import { migrate } from './sqlite-migrations.js';

/** Rows kept in memory; pages up to CACHED_PAGE_MAX rows are served from them. */
export const CACHED_PAGE_MAX = 200;
/**
 * WAL size (pages) at which a commit also copies the WAL into the database file (a checkpoint).
 * SQLite's default, 1,000, made one commit in ~25,000 inserts take 10–25 ms, with every request of
 * that event-loop turn waiting; at 250 the checkpoints are 4× as frequent and none took over 5 ms
 * (an 8 s POST run, the store's write-duration histogram).
 */
const WAL_AUTOCHECKPOINT_PAGES = 250;
/** Rows waiting for a commit; past this an insert fails at once (memory stays bounded). */
const MAX_PENDING_ROWS = 20_000;
/** Inserts waiting longer than this for the write lock mean the database is stalled: new ones fail at once. */
const STALL_MS = 2_000;
/** A write that cannot get the lock for this long fails. */
const LOCK_DEADLINE_MS = 5_000;
/** Retries of a busy lock on the next turn; after these, every millisecond (no busy loop while idle). */
const IMMEDIATE_RETRIES = 20;
/**
 * Retention deletes in chunks sized to take about this long (ms) with the write lock held, then
 * leaves the lock free at least as long, so the workers' group commits get it in between.
 */
const TRIM_CHUNK_TARGET_MS = 10;
/** Serialized newest pages kept (bytes of JSON, all limits together). */
const PAGE_JSON_CACHE_BYTES = 4 << 20;
/** Expired idempotency keys each insertOnce deletes (more than the one it adds, so they never pile up). */
const EXPIRED_KEYS_PER_CALL = 16;

/** A cached row with its JSON, serialized once. */
interface CachedRow {
  readonly row: HistoryRow;
  readonly json: string;
  /** UTF-8 bytes of the JSON and its comma. */
  readonly bytes: number;
}

function cached(row: HistoryRow): CachedRow {
  const json = JSON.stringify(row);
  return { row, json, bytes: Buffer.byteLength(json) + 1 };
}

/** How many of these newest-first rows the cache keeps: CACHED_PAGE_MAX + 1, and the row that crosses PAGE_MAX_BYTES. */
function cacheBound(rows: readonly CachedRow[]): number {
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    if (i > CACHED_PAGE_MAX || bytes > PAGE_MAX_BYTES) return i;
    bytes += rows[i]!.bytes;
  }
  return rows.length;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface DbRow {
  id: number;
  text: string;
  sentiment: number;
  subjectivity: number;
  engine: string;
  created_at: number;
}

function toRow(r: DbRow): HistoryRow {
  return {
    id: r.id,
    text: r.text,
    sentiment: r.sentiment,
    subjectivity: r.subjectivity,
    label: labelOf(r.sentiment, r.engine as EngineName),
    engine: r.engine as EngineName,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface SqliteStoreOptions {
  /** Called after each group commit with its duration in seconds and row count. */
  readonly onWrite?: (seconds: number, rows: number) => void;
  /** synchronous=NORMAL (default) or FULL for commits (see Config.sqliteSync). */
  readonly sync?: 'full' | 'normal';
}

export class SqliteHistoryStore implements HistoryStore {
  private readonly db: Database.Database;
  private readonly stmt: ReturnType<SqliteHistoryStore['prepare']>;
  private readonly insertMany: Database.Transaction<(rows: readonly NewRow[], now: number) => number[]>;
  private readonly listeners: ((rows: readonly HistoryRow[]) => void)[] = [];
  /** Inserts of one turn share a transaction; a busy lock is retried on later turns (group-commit.ts). */
  private readonly queue: GroupCommitQueue<NewRow, HistoryRow>;
  private closed = false;

  // Newest-rows cache (newest first) and the state it was built from. Each row is serialized once,
  // so a new page is a join, not a JSON.stringify of 50 rows.
  private cacheRows: CachedRow[] = [];
  /** Rows older than the last cached one exist. */
  private cacheMore = false;
  private cacheValid = false;
  private cacheDataVersion = -1;
  private cacheGeneration = -1;
  /** Rows this connection committed since the cache was refreshed, oldest first. */
  private ownRows: HistoryRow[] = [];
  private turnWaiters: { resolve: () => void; reject: (err: unknown) => void }[] | undefined;
  private pageJson = new Map<number, PageJson>();
  private pageJsonBytes = 0;

  constructor(
    path: string,
    private readonly options: SqliteStoreOptions = {},
  ) {
    if (path === ':memory:' || path === '') throw new Error('the SQLite store needs a file (WAL mode)');
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(options.sync === 'full' ? 'synchronous = FULL' : 'synchronous = NORMAL');
    // Processes starting together take turns applying migrations: wait for the lock here only.
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.db.pragma('busy_timeout = 0');
    this.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    this.stmt = this.prepare();
    const insert = this.db.prepare('INSERT INTO analyses (text, sentiment, subjectivity, engine, created_at) VALUES (?, ?, ?, ?, ?)');
    this.insertMany = this.db.transaction((rows: readonly NewRow[], now: number) =>
      rows.map((r) => Number(insert.run(r.text, r.sentiment, r.subjectivity, r.engine, r.createdAt ? r.createdAt.getTime() : now).lastInsertRowid)),
    );
    this.queue = new GroupCommitQueue({
      write: (rows) => this.writeBatch(rows),
      maxPending: MAX_PENDING_ROWS,
      stallMs: STALL_MS,
      stallMessage: `the history store is stalled (the write lock has been taken for over ${STALL_MS / 1000} s)`,
      retry: {
        when: isBusy,
        forMs: LOCK_DEADLINE_MS,
        immediate: IMMEDIATE_RETRIES,
        failure: new Error(`the history store is stalled (could not get the write lock for ${LOCK_DEADLINE_MS / 1000} s)`),
      },
    });
  }

  /** The rows as stored, with their ids (createdAt: theirs, else `now`). */
  private static saved(rows: readonly NewRow[], ids: readonly number[], now: number): HistoryRow[] {
    const saved: HistoryRow[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      saved[i] = {
        id: ids[i]!,
        text: r.text,
        sentiment: r.sentiment,
        subjectivity: r.subjectivity,
        label: labelOf(r.sentiment, r.engine),
        engine: r.engine,
        createdAt: new Date(r.createdAt ? r.createdAt.getTime() : now).toISOString(),
      };
    }
    return saved;
  }

  /** After a commit of this connection: the newest-rows cache learns the rows, listeners hear them. */
  private committed(saved: HistoryRow[], started: bigint): void {
    this.options.onWrite?.(Number(process.hrtime.bigint() - started) / 1e9, saved.length);
    for (const row of saved) this.ownRows.push(row);
    if (this.ownRows.length > CACHED_PAGE_MAX + 1) this.ownRows.splice(0, this.ownRows.length - CACHED_PAGE_MAX - 1);
    for (const listener of this.listeners) listener(saved);
  }

  /**
   * Its own IMMEDIATE transaction, not the group commit: the key's check, the rows and the key
   * commit together or not at all. SQLite serializes writers (across processes too), so a second
   * call with the key always finds the first one's committed key.
   */
  async insertOnce(key: IdempotencyKey, rows: readonly NewRow[]): Promise<OnceResult> {
    if (this.closed) throw new Error('store is closed');
    if (this.queue.stalled()) throw new Error(`the history store is stalled (the write lock has been taken for over ${STALL_MS / 1000} s)`);
    const started = process.hrtime.bigint();
    let now = 0;
    const result = await this.writeTransaction((): OnceResult => {
      now = Date.now();
      const cutoff = now - IDEMPOTENCY_TTL_MS;
      this.stmt.forgetExpiredKey.run(key.key, cutoff);
      this.stmt.forgetExpiredKeys.run(cutoff, EXPIRED_KEYS_PER_CALL);
      if (this.stmt.claimKey.run(key.key, key.fingerprint, now).changes === 0) {
        const known = this.stmt.getKey.get(key.key)!;
        if (known.fingerprint !== key.fingerprint) return { outcome: 'mismatch' };
        return { outcome: 'replayed', ids: JSON.parse(known.ids) as number[], createdAt: new Date(known.created_at).toISOString() };
      }
      const fresh = rows.map((r) => (r.createdAt === undefined ? r : { ...r, createdAt: undefined }));
      const ids = this.insertMany(fresh, now); // a savepoint inside this transaction
      this.stmt.keyIds.run(JSON.stringify(ids), key.key);
      return { outcome: 'stored', rows: SqliteHistoryStore.saved(fresh, ids, now) };
    });
    if (result.outcome === 'stored' && result.rows.length > 0) this.committed(result.rows, started);
    return result;
  }

  private prepare() {
    const db = this.db;
    return {
      newest: db.prepare<[number], DbRow>('SELECT id, text, sentiment, subjectivity, engine, created_at FROM analyses ORDER BY id DESC LIMIT ?'),
      before: db.prepare<[number, number], DbRow>('SELECT id, text, sentiment, subjectivity, engine, created_at FROM analyses WHERE id < ? ORDER BY id DESC LIMIT ?'),
      after: db.prepare<[number, number], DbRow>('SELECT id, text, sentiment, subjectivity, engine, created_at FROM analyses WHERE id > ? ORDER BY id ASC LIMIT ?'),
      get: db.prepare<[number], DbRow>('SELECT id, text, sentiment, subjectivity, engine, created_at FROM analyses WHERE id = ?'),
      delete: db.prepare('DELETE FROM analyses WHERE id = ?'),
      deleteAll: db.prepare('DELETE FROM analyses'),
      // Retention: the oldest rows by the rowid b-tree; rows past the age cap by the created_at index
      // (migration 3), oldest first — no sort, no scan of the rows that stay.
      trimOldest: db.prepare('DELETE FROM analyses WHERE id IN (SELECT id FROM analyses ORDER BY id LIMIT ?)'),
      trimOlder: db.prepare('DELETE FROM analyses WHERE id IN (SELECT id FROM analyses WHERE created_at < ? ORDER BY created_at LIMIT ?)'),
      bumpGeneration: db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'generation'"),
      generation: db.prepare<[], number>("SELECT value FROM meta WHERE key = 'generation'").pluck(),
      count: db.prepare<[], number>('SELECT count(*) FROM analyses').pluck(),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
      forgetExpiredKey: db.prepare('DELETE FROM idempotency_keys WHERE key = ? AND created_at < ?'),
      forgetExpiredKeys: db.prepare('DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)'),
      claimKey: db.prepare('INSERT OR IGNORE INTO idempotency_keys (key, fingerprint, created_at) VALUES (?, ?, ?)'),
      keyIds: db.prepare('UPDATE idempotency_keys SET ids = ? WHERE key = ?'),
      getKey: db.prepare<[string], { fingerprint: string; ids: string; created_at: number }>('SELECT fingerprint, ids, created_at FROM idempotency_keys WHERE key = ?'),
    };
  }

  insert(rows: readonly NewRow[]): Promise<HistoryRow[]> {
    return this.queue.add(rows);
  }

  /** One group commit (called by the queue after the turn): a transaction, or a busy lock it retries. */
  private writeBatch(rows: readonly NewRow[]): HistoryRow[] {
    const started = process.hrtime.bigint();
    const now = Date.now();
    const saved = SqliteHistoryStore.saved(rows, this.insertMany.immediate(rows, now), now);
    this.committed(saved, started);
    return saved;
  }

  /**
   * Runs a write transaction (deletion, retention) without blocking the event loop on another
   * process's write lock: a busy lock is retried on later turns, for up to 5 s.
   */
  private async writeTransaction<T>(fn: () => T): Promise<T> {
    const tx = this.db.transaction(fn);
    const deadline = Date.now() + LOCK_DEADLINE_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return tx.immediate();
      } catch (err) {
        if (!isBusy(err) || Date.now() > deadline) throw err;
      }
      if (attempt < IMMEDIATE_RETRIES) await nextTurn();
      else await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Reads the newest rows into the cache, stopping at its bound. */
  private loadNewest(): void {
    const rows: CachedRow[] = [];
    let bytes = 0;
    this.cacheMore = false;
    for (const r of this.stmt.newest.iterate(CACHED_PAGE_MAX + 2)) {
      if (rows.length > CACHED_PAGE_MAX || bytes > PAGE_MAX_BYTES) {
        this.cacheMore = true;
        break;
      }
      const c = cached(toRow(r));
      rows.push(c);
      bytes += c.bytes;
    }
    this.cacheRows = rows;
  }

  /** Puts rows newer than the cache (newest first) in front of it, keeping the bound. */
  private prependToCache(fresh: readonly HistoryRow[]): void {
    const rows = fresh.map(cached).concat(this.cacheRows);
    const keep = cacheBound(rows);
    if (keep < rows.length) {
      rows.length = keep;
      this.cacheMore = true;
    }
    this.cacheRows = rows;
    this.pageJson.clear();
    this.pageJsonBytes = 0;
  }

  /** Brings the newest-rows cache up to date with everything committed so far. */
  private refreshCache(): void {
    const version = this.stmt.dataVersion.get()!;
    if (this.cacheValid && version === this.cacheDataVersion) {
      // No other connection committed: the only new rows are this connection's own.
      if (this.ownRows.length > 0) {
        const fresh = this.ownRows.reverse();
        this.ownRows = [];
        this.prependToCache(fresh);
      }
      return;
    }
    this.ownRows = [];
    const generation = this.stmt.generation.get()!;
    if (this.cacheValid && generation === this.cacheGeneration) {
      // Only inserts happened: fetch what is newer than the newest cached row (bounded like the cache).
      const newestId = this.cacheRows[0]?.row.id ?? 0;
      const fresh: HistoryRow[] = [];
      let bytes = 0;
      let reload = false;
      for (const r of this.stmt.after.iterate(newestId, CACHED_PAGE_MAX + 1)) {
        if (fresh.length >= CACHED_PAGE_MAX || bytes > PAGE_MAX_BYTES) {
          reload = true;
          break;
        }
        const row = toRow(r);
        fresh.push(row);
        bytes += row.text.length;
      }
      if (reload) {
        this.loadNewest();
        this.pageJson.clear();
        this.pageJsonBytes = 0;
      } else if (fresh.length > 0) {
        this.prependToCache(fresh.reverse());
      }
    } else {
      this.loadNewest();
      this.pageJson.clear();
      this.pageJsonBytes = 0;
    }
    this.cacheValid = true;
    this.cacheDataVersion = version;
    this.cacheGeneration = generation;
  }

  /** The newest page from the cache (limit ≤ CACHED_PAGE_MAX: the cache always holds all of it). */
  private pageFromCache(limit: number): PageBuilder {
    const page = new PageBuilder(limit);
    let i = 0;
    while (i < this.cacheRows.length && page.add(this.cacheRows[i]!.row, this.cacheRows[i]!.json)) i++;
    if (i === this.cacheRows.length && this.cacheMore) page.more = true;
    return page;
  }

  /** Reads a page row by row, and stops reading at the first row that does not fit. */
  private readPage({ limit, before }: ListOptions): PageBuilder {
    const page = new PageBuilder(limit);
    const rows = before === undefined ? this.stmt.newest.iterate(limit + 1) : this.stmt.before.iterate(before, limit + 1);
    for (const r of rows) if (!page.add(toRow(r))) break; // break ends the statement
    return page;
  }

  async list({ limit, before }: ListOptions): Promise<Page> {
    if (before === undefined && limit <= CACHED_PAGE_MAX) {
      this.refreshCache();
      const page = this.pageFromCache(limit);
      return { rows: page.rows, more: page.more };
    }
    const page = this.readPage({ limit, before });
    return { rows: page.rows, more: page.more };
  }

  async newestPageJson(limit: number): Promise<PageJson> {
    if (limit > CACHED_PAGE_MAX) {
      const page = this.readPage({ limit });
      return { json: page.json(), more: page.more, lastId: page.rows.at(-1)?.id };
    }
    // One freshness check per event-loop turn, made in the check phase after every request of
    // this turn's poll phase was read: each of them still sees every row committed before it
    // arrived, and a busy server checks once per turn instead of once per request. A failed read
    // (SQLITE_BUSY while another process recovers the WAL, I/O error) fails this turn's callers,
    // who answer 503; thrown inside setImmediate it would kill the worker.
    if (this.turnWaiters === undefined) {
      const waiters: { resolve: () => void; reject: (err: unknown) => void }[] = (this.turnWaiters = []);
      setImmediate(() => {
        this.turnWaiters = undefined;
        let failure: unknown;
        try {
          this.refreshCache();
        } catch (err) {
          failure = err ?? new Error('reading the newest rows failed');
          this.cacheValid = false;
        }
        for (const w of waiters) {
          if (failure === undefined) w.resolve();
          else w.reject(failure);
        }
      });
    }
    await new Promise<void>((resolve, reject) => this.turnWaiters!.push({ resolve, reject }));
    let page = this.pageJson.get(limit);
    if (page === undefined) {
      const built = this.pageFromCache(limit);
      page = { json: built.json(), more: built.more, lastId: built.rows.at(-1)?.id };
      if (this.pageJsonBytes + page.json.length > PAGE_JSON_CACHE_BYTES) {
        this.pageJson.clear();
        this.pageJsonBytes = 0;
      }
      this.pageJson.set(limit, page);
      this.pageJsonBytes += page.json.length;
    }
    return page;
  }

  async get(id: number): Promise<HistoryRow | undefined> {
    const r = this.stmt.get.get(id);
    return r === undefined ? undefined : toRow(r);
  }

  async rowsAfter(afterId: number, limit: number): Promise<HistoryRow[]> {
    return this.stmt.after.all(afterId, limit).map(toRow);
  }

  async delete(id: number): Promise<boolean> {
    const changes = await this.writeTransaction(() => {
      const n = this.stmt.delete.run(id).changes;
      if (n > 0) this.stmt.bumpGeneration.run();
      return n;
    });
    if (changes > 0) this.cacheValid = false;
    return changes > 0;
  }

  async deleteAll(): Promise<number> {
    const changes = await this.writeTransaction(() => {
      const n = this.stmt.deleteAll.run().changes;
      this.stmt.bumpGeneration.run();
      return n;
    });
    this.cacheValid = false;
    return changes;
  }

  /**
   * Retention, a chunk per transaction, each sized to hold the write lock about
   * TRIM_CHUNK_TARGET_MS, with the lock left free at least as long after it (the workers' commits
   * retry a busy lock every millisecond). Indexed: the row cap counts the rows (SQLite counts the
   * narrowest index, created_at) and deletes the oldest by id; the age cap walks the created_at
   * index. Nothing scans the rows that stay. Run by one process (server.ts): a row cap computed by
   * two at once would delete twice.
   */
  async trim(policy: RetentionPolicy, onChunk?: (rows: number, ms: number) => void): Promise<number> {
    let deleted = 0;
    let chunk = 500;
    const step = async (run: (n: number) => number, limit = Infinity): Promise<number> => {
      let started = 0;
      const n = await this.writeTransaction(() => {
        started = performance.now();
        const c = run(Math.min(chunk, limit));
        if (c > 0) this.stmt.bumpGeneration.run();
        return c;
      });
      const ms = performance.now() - started; // with the COMMIT
      onChunk?.(n, ms);
      if (n > 0) this.cacheValid = false;
      // The next chunk in proportion (at most double, at least a quarter): a fixed 2,000 rows took
      // 4–50 ms depending on the rows' sizes and whether the commit ran a WAL checkpoint.
      chunk = Math.round(Math.min(50_000, Math.max(10, chunk / 4, Math.min(chunk * 2, (chunk * TRIM_CHUNK_TARGET_MS) / Math.max(ms, 0.5)))));
      await sleep(Math.max(1, Math.ceil(ms)));
      return n;
    };
    if (policy.maxRows !== undefined) {
      // Rows inserted meanwhile only add to the newest; a row deleted by hand meanwhile makes
      // this delete one more of the oldest than needed (the cap is still kept).
      let excess = this.stmt.count.get()! - policy.maxRows;
      while (excess > 0) {
        const n = await step((c) => this.stmt.trimOldest.run(c).changes, excess);
        if (n === 0) break;
        excess -= n;
        deleted += n;
      }
    }
    if (policy.maxAgeMs !== undefined) {
      const cutoff = Date.now() - policy.maxAgeMs;
      for (;;) {
        const n = await step((c) => this.stmt.trimOlder.run(cutoff, c).changes);
        deleted += n;
        if (n === 0) break;
      }
    }
    return deleted;
  }

  async count(): Promise<number> {
    return this.stmt.count.get()!;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    this.stmt.dataVersion.get();
  }

  onCommit(listener: (rows: readonly HistoryRow[]) => void): void {
    this.listeners.push(listener);
  }

  /** Commits every pending write, then closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close(); // inserts made before close() still commit
    this.db.close();
  }
}
