// The history: what was analysed, newest first. SQLite and PostgreSQL implement it, and both must
// pass the same suite (test/store.test.ts).
import { labelOf, type EngineName, type Label } from '../engine/engines.js';

export { labelOf, type EngineName, type Label };

export interface NewRow {
  readonly text: string;
  readonly sentiment: number;
  readonly subjectivity: number;
  /** The engine that scored it (rows stored before engines could be chosen are 'textblob'). */
  readonly engine: EngineName;
  /** Defaults to now. Import keeps the original time when it has one. */
  readonly createdAt?: Date;
}

export interface HistoryRow {
  readonly id: number;
  readonly text: string;
  readonly sentiment: number;
  readonly subjectivity: number;
  readonly label: Label;
  readonly engine: EngineName;
  readonly createdAt: string;
}

export interface ListOptions {
  readonly limit: number;
  /** Only rows with an id below this one (the cursor of the next page). */
  readonly before?: number | undefined;
}

export interface Page {
  readonly rows: readonly HistoryRow[];
  /** True when older rows exist past this page. */
  readonly more: boolean;
}

/**
 * Most bytes of JSON in one page (1 MiB). A page of 1,000 rows of 20,000 characters was 40–64 MB
 * built in memory per request; now a page holds fewer rows than asked when they do not fit, and
 * `more` (the Link header) continues it exactly after its last row. A single row larger than the
 * budget still makes a page of its own.
 */
export const PAGE_MAX_BYTES = 1 << 20;

/**
 * Builds one page from rows offered newest first, and says when to stop reading: both stores
 * read rows one at a time (or in a bounded query) and stop at the first row this refuses.
 */
export class PageBuilder {
  readonly rows: HistoryRow[] = [];
  /** The rows' JSON, each serialized once. */
  readonly parts: string[] = [];
  /** True once a row was refused: older rows exist past this page. */
  more = false;
  private bytes = 2; // the brackets

  constructor(
    private readonly limit: number,
    private readonly maxBytes = PAGE_MAX_BYTES,
  ) {}

  /** Offers the next older row; false (and `more`) when it belongs to the next page. */
  add(row: HistoryRow, json: string = JSON.stringify(row)): boolean {
    const size = Buffer.byteLength(json) + 1; // and its comma
    if (this.rows.length >= this.limit || (this.rows.length > 0 && this.bytes + size > this.maxBytes)) {
      this.more = true;
      return false;
    }
    this.rows.push(row);
    this.parts.push(json);
    this.bytes += size;
    return true;
  }

  json(): string {
    return `[${this.parts.join(',')}]`;
  }
}

/**
 * How long an Idempotency-Key is remembered (24 hours, as Stripe's API keeps them). A key older
 * than this is forgotten: the same request with it stores again.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** A client's Idempotency-Key and the fingerprint of the request it came with. */
export interface IdempotencyKey {
  readonly key: string;
  /** Same request ⇔ same fingerprint (the route hashes what decides the answer). */
  readonly fingerprint: string;
}

/** What insertOnce did. */
export type OnceResult =
  /** The key was new: the rows are stored now. */
  | { readonly outcome: 'stored'; readonly rows: HistoryRow[] }
  /** The key was used before with this fingerprint: nothing stored; the first answer's ids and time. */
  | { readonly outcome: 'replayed'; readonly ids: readonly number[]; readonly createdAt: string }
  /** The key was used before with another request: nothing stored. */
  | { readonly outcome: 'mismatch' };

/** A page already serialized, ready to send (the newest page, which GET /history serves most). */
export interface PageJson {
  /** The rows as a JSON array. */
  readonly json: string;
  /** True when older rows exist past this page. */
  readonly more: boolean;
  /** The oldest row's id on the page: the cursor of the next one. */
  readonly lastId: number | undefined;
}

export interface HistoryStore {
  /** Resolves only once the rows are committed. Concurrent calls share one transaction. */
  insert(rows: readonly NewRow[]): Promise<HistoryRow[]>;
  /**
   * Stores the rows and remembers the key in one transaction, unless the key is already
   * remembered (from any process or host): then nothing is stored. Concurrent calls with one key
   * store once; the later ones wait for the first to commit and replay it. Keys expire after
   * IDEMPOTENCY_TTL_MS; each call also forgets a few expired ones, so the table stays about one
   * TTL's worth of keys without a separate job. Rows' createdAt is the time the key was stored.
   */
  insertOnce(key: IdempotencyKey, rows: readonly NewRow[]): Promise<OnceResult>;
  /** At most `limit` rows and PAGE_MAX_BYTES of JSON; the store stops reading rows there. */
  list(options: ListOptions): Promise<Page>;
  /**
   * The newest page (bounded as list()) as a JSON array, ready to send. Stores may keep it in memory, but it must
   * include every row committed before the call, by this process or any other.
   */
  newestPageJson(limit: number): Promise<PageJson>;
  get(id: number): Promise<HistoryRow | undefined>;
  /** Rows with an id above `afterId`, oldest first (for live updates and export). */
  rowsAfter(afterId: number, limit: number): Promise<HistoryRow[]>;
  delete(id: number): Promise<boolean>;
  deleteAll(): Promise<number>;
  /**
   * Deletes the oldest rows beyond `maxRows` and rows older than `maxAgeMs`, in short chunks;
   * returns how many. Run it in one process per store (see server.ts).
   */
  trim(policy: RetentionPolicy, onChunk?: (rows: number, ms: number) => void): Promise<number>;
  count(): Promise<number>;
  /** Throws when the store cannot serve requests. */
  ping(): Promise<void>;
  /**
   * Called with every batch of rows committed by this process, and with an empty array when the
   * store learns that another process or host committed (where it can tell).
   */
  onCommit(listener: (rows: readonly HistoryRow[]) => void): void;
  /** Flushes pending writes, then closes. */
  close(): Promise<void>;
}

export interface RetentionPolicy {
  readonly maxRows?: number | undefined;
  readonly maxAgeMs?: number | undefined;
}
