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
// counter in the same transaction and force a full reload.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { EngineName, HistoryRow, HistoryStore, ListOptions, NewRow, Page, RetentionPolicy } from './history-store.js';
import { labelOf } from './history-store.js';
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

interface DbRow {
  id: number;
  text: string;
  sentiment: number;
  subjectivity: number;
  engine: string;
  created_at: number;
}

interface Pending {
  rows: readonly NewRow[];
  resolve: (rows: HistoryRow[]) => void;
  reject: (err: unknown) => void;
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
  private pending: Pending[] = [];
  private pendingRows = 0;
  /** When the oldest pending insert first found the write lock taken (0: it did not). */
  private busySince = 0;
  private busyRetries = 0;
  private flushScheduled = false;
  private closed = false;
  private idle: (() => void)[] = [];

  // Newest-rows cache (newest first) and the state it was built from.
  private cacheRows: HistoryRow[] = [];
  /** Each cached row serialized once, so a new page is a join, not a JSON.stringify of 50 rows. */
  private cacheRowJson = new WeakMap<HistoryRow, string>();
  private cacheValid = false;
  private cacheDataVersion = -1;
  private cacheGeneration = -1;
  /** Rows this connection committed since the cache was refreshed, oldest first. */
  private ownRows: HistoryRow[] = [];
  private turnWaiters: (() => void)[] | undefined;
  private pageJson = new Map<number, { json: string; more: boolean; lastId: number | undefined }>();

  constructor(path: string, private readonly options: SqliteStoreOptions = {}) {
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
      nthNewestId: db.prepare<[number], number>('SELECT id FROM analyses ORDER BY id DESC LIMIT 1 OFFSET ?').pluck(),
      trimBelow: db.prepare('DELETE FROM analyses WHERE id IN (SELECT id FROM analyses WHERE id < ? ORDER BY id LIMIT ?)'),
      trimOlder: db.prepare('DELETE FROM analyses WHERE id IN (SELECT id FROM analyses WHERE created_at < ? ORDER BY id LIMIT ?)'),
      bumpGeneration: db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'generation'"),
      generation: db.prepare<[], number>("SELECT value FROM meta WHERE key = 'generation'").pluck(),
      count: db.prepare<[], number>('SELECT count(*) FROM analyses').pluck(),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
  }

  insert(rows: readonly NewRow[]): Promise<HistoryRow[]> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    // (close() sets `closed` first, then drains: inserts made before close() still commit.)
    if (rows.length === 0) return Promise.resolve([]);
    if (this.busySince !== 0 && Date.now() - this.busySince > STALL_MS) {
      return Promise.reject(new Error('the history store is stalled (the write lock has been taken for over 2 s)'));
    }
    if (this.pendingRows + rows.length > MAX_PENDING_ROWS) {
      return Promise.reject(new Error(`more than ${MAX_PENDING_ROWS} rows are waiting for a commit`));
    }
    this.pendingRows += rows.length;
    return new Promise((resolve, reject) => {
      this.pending.push({ rows, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Commits every pending insert as one transaction, or retries later if another process writes. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    const rows = batch.length === 1 ? batch[0]!.rows : batch.flatMap((p) => p.rows);
    const started = process.hrtime.bigint();
    const now = Date.now();
    let ids: number[];
    try {
      ids = this.insertMany.immediate(rows, now);
    } catch (err) {
      if (isBusy(err) && (this.busySince === 0 || now - this.busySince < LOCK_DEADLINE_MS)) {
        if (this.busySince === 0) this.busySince = now;
        this.busyRetries++;
        this.flushScheduled = true;
        if (this.busyRetries <= IMMEDIATE_RETRIES) setImmediate(this.flush);
        else setTimeout(this.flush, 1);
        return;
      }
      this.takePending();
      const failure = isBusy(err) ? new Error('the history store is stalled (could not get the write lock for 5 s)') : err;
      for (const p of batch) p.reject(failure);
      this.settled();
      return;
    }
    this.takePending();
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
    this.options.onWrite?.(Number(process.hrtime.bigint() - started) / 1e9, saved.length);
    for (const row of saved) this.ownRows.push(row);
    if (this.ownRows.length > CACHED_PAGE_MAX + 1) this.ownRows.splice(0, this.ownRows.length - CACHED_PAGE_MAX - 1);
    if (batch.length === 1) batch[0]!.resolve(saved);
    else {
      let at = 0;
      for (const p of batch) {
        p.resolve(saved.slice(at, at + p.rows.length));
        at += p.rows.length;
      }
    }
    for (const listener of this.listeners) listener(saved);
    this.settled();
  };

  private takePending(): void {
    this.pending = [];
    this.pendingRows = 0;
    this.busySince = 0;
    this.busyRetries = 0;
  }

  private settled(): void {
    if (this.pending.length === 0 && !this.flushScheduled) for (const f of this.idle.splice(0)) f();
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

  /** Brings the newest-rows cache up to date with everything committed so far. */
  private refreshCache(): void {
    const version = this.stmt.dataVersion.get()!;
    if (this.cacheValid && version === this.cacheDataVersion) {
      // No other connection committed: the only new rows are this connection's own.
      if (this.ownRows.length > 0) {
        const fresh = this.ownRows.reverse();
        this.ownRows = [];
        this.cacheRows = fresh.concat(this.cacheRows).slice(0, CACHED_PAGE_MAX + 1);
        this.pageJson.clear();
      }
      return;
    }
    this.ownRows = [];
    const generation = this.stmt.generation.get()!;
    if (this.cacheValid && generation === this.cacheGeneration) {
      // Only inserts happened: fetch what is newer than the newest cached row.
      const newestId = this.cacheRows[0]?.id ?? 0;
      const fresh = this.stmt.after.all(newestId, CACHED_PAGE_MAX + 1).map(toRow);
      if (fresh.length > CACHED_PAGE_MAX) {
        this.cacheRows = this.stmt.newest.all(CACHED_PAGE_MAX + 1).map(toRow);
      } else if (fresh.length > 0) {
        fresh.reverse();
        this.cacheRows = fresh.concat(this.cacheRows).slice(0, CACHED_PAGE_MAX + 1);
      }
      if (fresh.length > 0) this.pageJson.clear();
    } else {
      this.cacheRows = this.stmt.newest.all(CACHED_PAGE_MAX + 1).map(toRow);
      this.pageJson.clear();
    }
    this.cacheValid = true;
    this.cacheDataVersion = version;
    this.cacheGeneration = generation;
  }

  async list({ limit, before }: ListOptions): Promise<Page> {
    if (before === undefined && limit <= CACHED_PAGE_MAX) {
      this.refreshCache();
      return { rows: this.cacheRows.slice(0, limit), more: this.cacheRows.length > limit };
    }
    const rows = (before === undefined ? this.stmt.newest.all(limit + 1) : this.stmt.before.all(before, limit + 1)).map(toRow);
    const more = rows.length > limit;
    if (more) rows.pop();
    return { rows, more };
  }

  async newestPageJson(limit: number): Promise<{ json: string; more: boolean; lastId: number | undefined }> {
    if (limit > CACHED_PAGE_MAX) {
      const page = await this.list({ limit });
      return { json: JSON.stringify(page.rows), more: page.more, lastId: page.rows.at(-1)?.id };
    }
    // One freshness check per event-loop turn, made in the check phase after every request of
    // this turn's poll phase was read: each of them still sees every row committed before it
    // arrived, and a busy server checks once per turn instead of once per request.
    if (this.turnWaiters === undefined) {
      const waiters: (() => void)[] = (this.turnWaiters = []);
      setImmediate(() => {
        this.turnWaiters = undefined;
        try {
          this.refreshCache();
        } finally {
          for (const w of waiters) w();
        }
      });
    }
    await new Promise<void>((resolve) => this.turnWaiters!.push(resolve));
    let page = this.pageJson.get(limit);
    if (page === undefined) {
      const rows = this.cacheRows.slice(0, limit);
      const parts = rows.map((r) => {
        let json = this.cacheRowJson.get(r);
        if (json === undefined) this.cacheRowJson.set(r, (json = JSON.stringify(r)));
        return json;
      });
      page = { json: `[${parts.join(',')}]`, more: this.cacheRows.length > limit, lastId: rows.at(-1)?.id };
      if (this.pageJson.size > 16) this.pageJson.clear();
      this.pageJson.set(limit, page);
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
   * Retention, a chunk per transaction with the event loop free in between, so writers and
   * readers never wait long. created_at is not indexed: an age cap scans, in chunks.
   */
  async trim(policy: RetentionPolicy, chunk = 2000): Promise<number> {
    let deleted = 0;
    const step = async (stmt: Database.Statement, arg: number): Promise<number> => {
      const n = await this.writeTransaction(() => {
        const c = stmt.run(arg, chunk).changes;
        if (c > 0) this.stmt.bumpGeneration.run();
        return c;
      });
      if (n > 0) this.cacheValid = false;
      return n;
    };
    if (policy.maxRows !== undefined) {
      const keepFrom = this.stmt.nthNewestId.get(policy.maxRows - 1);
      if (keepFrom !== undefined) {
        for (let n = chunk; n === chunk; deleted += n) {
          n = await step(this.stmt.trimBelow, keepFrom);
          await new Promise((r) => setImmediate(r));
        }
      }
    }
    if (policy.maxAgeMs !== undefined) {
      const cutoff = Date.now() - policy.maxAgeMs;
      for (let n = chunk; n === chunk; deleted += n) {
        n = await step(this.stmt.trimOlder, cutoff);
        await new Promise((r) => setImmediate(r));
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
    if (this.pending.length > 0 || this.flushScheduled) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.db.close();
  }
}
