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

export interface HistoryStore {
  /** Resolves only once the rows are committed. Concurrent calls share one transaction. */
  insert(rows: readonly NewRow[]): Promise<HistoryRow[]>;
  list(options: ListOptions): Promise<Page>;
  /**
   * The newest page as a JSON array, ready to send. Stores may keep it in memory, but it must
   * include every row committed before the call, by this process or any other.
   */
  newestPageJson(limit: number): Promise<{ json: string; more: boolean; lastId: number | undefined }>;
  get(id: number): Promise<HistoryRow | undefined>;
  /** Rows with an id above `afterId`, oldest first (for live updates and export). */
  rowsAfter(afterId: number, limit: number): Promise<HistoryRow[]>;
  delete(id: number): Promise<boolean>;
  deleteAll(): Promise<number>;
  /** Deletes the oldest rows beyond `maxRows` and rows older than `maxAgeMs`; returns how many. */
  trim(policy: RetentionPolicy): Promise<number>;
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
