// The embedded store: one SQLite file shared by every worker process of a machine.
//
// Writes go to a writer thread (sqlite-writer.ts) with its own connection: one transaction in
// flight at a time, and every insert that arrives meanwhile joins the next one (group commit).
// Callers' promises resolve only after COMMIT returns. synchronous=FULL (the default; --sqlite-sync)
// makes each commit durable against power loss too; the fsync happens on the writer thread, so the
// event loop keeps serving.
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
import type { HistoryRow, HistoryStore, ListOptions, NewRow, Page, RetentionPolicy } from './history-store.js';
import { labelOf } from './history-store.js';
import { migrate } from './sqlite-migrations.js';
import type { WriteReply, WriteRequest } from './sqlite-writer.js';
import { ipcWriter, threadWriter, type WriterLink } from './sqlite-writer-link.js';

/** Rows kept in memory; pages up to CACHED_PAGE_MAX rows are served from them. */
export const CACHED_PAGE_MAX = 200;
const MAX_IN_FLIGHT = 2;
/** Rows waiting for a commit; past this an insert fails at once (memory stays bounded). */
const MAX_PENDING_ROWS = 20_000;
/** A commit running longer than this means the database is stalled: new inserts fail at once. */
const STALL_MS = 2_000;

interface DbRow {
  id: number;
  text: string;
  sentiment: number;
  subjectivity: number;
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
    label: labelOf(r.sentiment),
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export interface SqliteStoreOptions {
  /** Called after each group commit with its duration in seconds and row count. */
  readonly onWrite?: (seconds: number, rows: number) => void;
  /** 'ipc': commit through the cluster primary's writer (src/store/sqlite-writer-link.ts). */
  readonly writer?: 'thread' | 'ipc';
  /** synchronous=FULL (default) or NORMAL for the writer's commits (see Config.sqliteSync). */
  readonly sync?: 'full' | 'normal';
}

export class SqliteHistoryStore implements HistoryStore {
  private readonly db: Database.Database;
  private readonly stmt: ReturnType<SqliteHistoryStore['prepare']>;
  private readonly listeners: ((rows: readonly HistoryRow[]) => void)[] = [];
  private pending: Pending[] = [];
  private pendingRows = 0;
  private flushScheduled = false;
  private closed = false;
  private writer!: WriterLink;
  private writeSeq = 0;
  /** Batches sent to the writer, oldest first; it commits them in order, one transaction each. */
  private inFlight: { seq: number; batch: Pending[]; rows: NewRow[]; createdAt: number[]; started: bigint }[] = [];
  private idle: (() => void)[] = [];

  // Newest-rows cache (newest first) and the state it was built from.
  private cacheRows: HistoryRow[] = [];
  /** Each cached row serialized once, so a new page is a join, not a JSON.stringify of 50 rows. */
  private cacheRowJson = new WeakMap<HistoryRow, string>();
  private cacheValid = false;
  private cacheStale = false;
  private cacheDataVersion = -1;
  private cacheGeneration = -1;
  private turnWaiters: (() => void)[] | undefined;
  private pageJson = new Map<number, { json: string; more: boolean; lastId: number | undefined }>();

  constructor(private readonly path: string, private readonly options: SqliteStoreOptions = {}) {
    if (path === ':memory:' || path === '') throw new Error('the SQLite store needs a file (its writer thread opens it too)');
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.stmt = this.prepare();
    this.startWriter();
  }

  private startWriter(): void {
    const onReply = (reply: WriteReply) => this.onWritten(reply);
    if (this.options.writer === 'ipc') {
      this.writer = ipcWriter(onReply);
      return;
    }
    this.writer = threadWriter(this.path, this.options.sync ?? 'full', onReply, () => {
      if (this.closed) return;
      // The writer died (it should not): fail what it held and start a new one.
      const lost = this.inFlight;
      this.inFlight = [];
      for (const b of lost) for (const p of b.batch) p.reject(new Error('the SQLite writer thread stopped'));
      this.startWriter();
      this.sendNext();
    });
  }

  private prepare() {
    const db = this.db;
    return {
      newest: db.prepare<[number], DbRow>('SELECT id, text, sentiment, subjectivity, created_at FROM analyses ORDER BY id DESC LIMIT ?'),
      before: db.prepare<[number, number], DbRow>('SELECT id, text, sentiment, subjectivity, created_at FROM analyses WHERE id < ? ORDER BY id DESC LIMIT ?'),
      after: db.prepare<[number, number], DbRow>('SELECT id, text, sentiment, subjectivity, created_at FROM analyses WHERE id > ? ORDER BY id ASC LIMIT ?'),
      get: db.prepare<[number], DbRow>('SELECT id, text, sentiment, subjectivity, created_at FROM analyses WHERE id = ?'),
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
    const oldest = this.inFlight[0];
    if (oldest !== undefined && Number(process.hrtime.bigint() - oldest.started) / 1e6 > STALL_MS) {
      return Promise.reject(new Error('the history store is stalled (a commit has been running for over 2 s)'));
    }
    if (this.pendingRows + rows.length > MAX_PENDING_ROWS) {
      return Promise.reject(new Error(`more than ${MAX_PENDING_ROWS} rows are waiting for a commit`));
    }
    this.pendingRows += rows.length;
    return new Promise((resolve, reject) => {
      this.pending.push({ rows, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends every pending insert to the writer as one transaction, unless one is in flight. */
  private flush(): void {
    this.flushScheduled = false;
    this.sendNext();
  }

  private sendNext(): void {
    // Up to MAX_IN_FLIGHT batches queued at the writer: it starts the next transaction the
    // moment one commits, without waiting for a message round trip to this thread.
    if (this.inFlight.length >= MAX_IN_FLIGHT || this.pending.length === 0) {
      if (this.inFlight.length === 0) for (const f of this.idle.splice(0)) f();
      return;
    }
    const batch = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    const now = Date.now();
    const rows = batch.flatMap((p) => p.rows);
    const createdAt = rows.map((r) => (r.createdAt ? r.createdAt.getTime() : now));
    const seq = ++this.writeSeq;
    this.inFlight.push({ seq, batch, rows, createdAt, started: process.hrtime.bigint() });
    this.writer.hold(true);
    const message: WriteRequest = {
      seq,
      rows: rows.map((r, i) => ({ text: r.text, sentiment: r.sentiment, subjectivity: r.subjectivity, createdAt: createdAt[i]! })),
    };
    this.writer.send(message);
  }

  private onWritten(reply: WriteReply): void {
    const done = this.inFlight[0];
    if (done === undefined || done.seq !== reply.seq) return;
    this.inFlight.shift();
    if (this.inFlight.length === 0) this.writer.hold(false);
    if ('error' in reply) {
      for (const p of done.batch) p.reject(new Error(reply.error));
    } else {
      const saved: HistoryRow[] = done.rows.map((r, i) => ({
        id: reply.ids[i]!,
        text: r.text,
        sentiment: r.sentiment,
        subjectivity: r.subjectivity,
        label: labelOf(r.sentiment),
        createdAt: new Date(done.createdAt[i]!).toISOString(),
      }));
      this.options.onWrite?.(Number(process.hrtime.bigint() - done.started) / 1e9, saved.length);
      this.cacheStale = true;
      let at = 0;
      for (const p of done.batch) {
        p.resolve(saved.slice(at, at + p.rows.length));
        at += p.rows.length;
      }
      for (const listener of this.listeners) listener(saved);
    }
    this.sendNext();
  }

  /** Brings the newest-rows cache up to date with everything committed so far. */
  private refreshCache(): void {
    const version = this.stmt.dataVersion.get()!;
    if (this.cacheValid && version === this.cacheDataVersion && !this.cacheStale) return;
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
    this.cacheStale = false;
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
    const changes = this.db.transaction(() => {
      const n = this.stmt.delete.run(id).changes;
      if (n > 0) this.stmt.bumpGeneration.run();
      return n;
    }).immediate();
    if (changes > 0) this.cacheValid = false;
    return changes > 0;
  }

  async deleteAll(): Promise<number> {
    const changes = this.db.transaction(() => {
      const n = this.stmt.deleteAll.run().changes;
      this.stmt.bumpGeneration.run();
      return n;
    }).immediate();
    this.cacheValid = false;
    return changes;
  }

  /**
   * Retention, a chunk per transaction with the event loop free in between, so writers and
   * readers never wait long. created_at is not indexed: an age cap scans, in chunks.
   */
  async trim(policy: RetentionPolicy, chunk = 2000): Promise<number> {
    let deleted = 0;
    const step = (stmt: Database.Statement, arg: number): number => {
      const n = this.db.transaction(() => {
        const c = stmt.run(arg, chunk).changes;
        if (c > 0) this.stmt.bumpGeneration.run();
        return c;
      }).immediate();
      if (n > 0) this.cacheValid = false;
      return n;
    };
    if (policy.maxRows !== undefined) {
      const keepFrom = this.stmt.nthNewestId.get(policy.maxRows - 1);
      if (keepFrom !== undefined) {
        for (let n = chunk; n === chunk; deleted += n) {
          n = step(this.stmt.trimBelow, keepFrom);
          await new Promise((r) => setImmediate(r));
        }
      }
    }
    if (policy.maxAgeMs !== undefined) {
      const cutoff = Date.now() - policy.maxAgeMs;
      for (let n = chunk; n === chunk; deleted += n) {
        n = step(this.stmt.trimOlder, cutoff);
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

  /** Waits for every pending write, stops the writer thread, closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.inFlight.length > 0 || this.pending.length > 0) {
      await new Promise<void>((resolve) => {
        this.idle.push(resolve);
        this.sendNext();
      });
    }
    await this.writer.close();
    this.db.close();
  }
}
