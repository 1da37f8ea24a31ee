// Live history for Server-Sent Events: every committed row, in id order, exactly once per client.
//
// Rows may be committed by this process or by any other sharing the store, so the feed does not
// forward this process's commits directly (that could overtake an older row committed elsewhere);
// it reads "rows after the last id sent" — at once after a local commit, and every POLL_MS while
// anyone listens, to see other processes' rows.
//
// Memory: a client that does not read must not make the server hold every new row for it. Each
// row is serialized once per feed and the same string is queued to every client; a client whose
// queue (bytes written but not yet taken by its socket) passes MAX_BUFFERED_BYTES is dropped — it
// resumes losslessly with Last-Event-ID, as browsers' EventSource does by itself. Catch-up on
// (re)connect waits for the socket to drain between rows, so a replay never queues more than the
// socket's high-water mark plus one row.
import type { HistoryRow, HistoryStore } from '../store/history-store.js';

const POLL_MS = 250;
/** Rows a reconnecting client is replayed at most (README: "up to 1000 rows"). */
export const CATCH_UP_MAX = 1000;
/** Rows read per store call during a catch-up: what one catching-up client holds in memory at once. */
const CATCH_UP_BATCH = 50;
/** Rows read per store call by the feed. */
const POLL_BATCH = 1000;
/**
 * A client whose unsent bytes pass this is dropped. A reading client's socket takes rows as they
 * come (the kernel's send buffer absorbs bursts), so only a client that stopped reading — or reads
 * far slower than rows arrive — gets here. 256 KiB is several of the largest rows (a 20,000
 * code-point text is at most ~120 KB as JSON); at 1,000 streams per process the queues are bounded
 * by ~370 MiB in the worst case, and by far less in practice, since queued frames are shared strings.
 */
export const MAX_BUFFERED_BYTES = 256 * 1024;

export interface LiveClient {
  /** Queues one SSE frame; false once the queue is past the socket's high-water mark (as res.write). */
  write(frame: string): boolean;
  /** Bytes queued and not yet taken by the socket (res.writableLength). */
  readonly buffered: number;
  /** False once the stream has ended or its connection closed. */
  readonly open: boolean;
  /** Resolves true once the queue has drained, false if the stream closed first. */
  drained(): Promise<boolean>;
  /** Ends the stream (server shutdown). */
  close(): void;
  /** Cuts the stream at once, discarding what is queued: the client fell too far behind. */
  drop(): void;
}

/** One row as an SSE event. */
export function sseFrame(row: HistoryRow): string {
  return `id: ${row.id}\nevent: analysis\ndata: ${JSON.stringify(row)}\n\n`;
}

export class LiveFeed {
  private readonly clients = new Map<LiveClient, { sentId: number }>();
  /** Clients still catching up: not fed live rows yet, but ended by close(). */
  private readonly catchingUp = new Set<LiveClient>();
  private lastId = 0;
  private started = false;
  private closed = false;
  private polling = false;
  private pollAgain = false;
  private timer: NodeJS.Timeout | undefined;
  /** Clients dropped for falling behind, since start. */
  dropped = 0;

  constructor(private readonly store: HistoryStore) {
    store.onCommit(() => {
      if (this.clients.size > 0) setImmediate(() => void this.poll());
    });
  }

  get size(): number {
    return this.clients.size + this.catchingUp.size;
  }

  private async start(): Promise<void> {
    if (this.started) return;
    const newest = await this.store.list({ limit: 1 });
    if (!this.started) {
      this.lastId = newest.rows[0]?.id ?? 0;
      this.started = true;
      this.timer = setInterval(() => void this.poll(), POLL_MS);
      this.timer.unref();
    }
  }

  /**
   * Adds a client. With `lastEventId` (the SSE reconnect header) it first gets the rows after that
   * id — at most CATCH_UP_MAX of them, the newest — then live rows. Resolves once the client is
   * live, or has gone away, or the feed closed.
   */
  async subscribe(client: LiveClient, lastEventId?: number): Promise<void> {
    if (this.closed) return client.close(); // shutting down: reconnect elsewhere
    this.catchingUp.add(client);
    try {
      await this.start();
      // Ids only grow, so "after lastId - CATCH_UP_MAX" is at most CATCH_UP_MAX rows (fewer where ids have gaps).
      let sent = Math.max(lastEventId ?? this.lastId, this.lastId - CATCH_UP_MAX);
      // Catch up until level with the feed; the last check and the add below run in one turn.
      while (sent < this.lastId) {
        const rows = await this.store.rowsAfter(sent, CATCH_UP_BATCH);
        if (rows.length === 0) break;
        for (const row of rows) {
          if (!client.open || this.closed) return;
          if (!client.write(sseFrame(row)) && !(await client.drained())) return;
          sent = row.id;
        }
      }
      if (this.closed) client.close();
      if (!client.open || this.closed) return;
      this.clients.set(client, { sentId: sent });
    } finally {
      this.catchingUp.delete(client);
    }
  }

  unsubscribe(client: LiveClient): void {
    this.clients.delete(client);
  }

  private async poll(): Promise<void> {
    if (this.clients.size === 0) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    try {
      do {
        this.pollAgain = false;
        const rows = await this.store.rowsAfter(this.lastId, POLL_BATCH);
        if (rows.length === 0) break;
        const frames = rows.map(sseFrame); // once for every client
        for (const [client, state] of this.clients) this.feed(client, state, rows, frames);
        this.lastId = rows.at(-1)!.id;
        if (rows.length === POLL_BATCH) this.pollAgain = true;
      } while (this.pollAgain);
    } catch {
      // The store is unavailable; the next tick retries. /readyz reports the store's health.
    } finally {
      this.polling = false;
    }
  }

  private feed(client: LiveClient, state: { sentId: number }, rows: readonly HistoryRow[], frames: readonly string[]): void {
    for (let i = 0; i < rows.length; i++) {
      const id = rows[i]!.id;
      if (id <= state.sentId) continue;
      // Checked before each write, so a queue never passes the bound by more than one row.
      if (client.buffered > MAX_BUFFERED_BYTES || !client.open) {
        this.clients.delete(client);
        if (client.open) {
          this.dropped++;
          client.drop();
        }
        return;
      }
      client.write(frames[i]!);
      state.sentId = id;
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const client of [...this.clients.keys(), ...this.catchingUp]) client.close();
    this.clients.clear();
  }
}

/**
 * Caps on open streams: in total and per client address, per process. `take` checks and reserves
 * in one synchronous call, so concurrent requests cannot all pass a check before any of them is
 * counted (the check used to run before an await, and the count only after it).
 */
export class StreamSlots {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(
    readonly maxTotal: number,
    readonly maxPerAddress: number,
  ) {}

  get open(): number {
    return this.total;
  }

  /** A release function (idempotent), or which cap is full. */
  take(address: string): (() => void) | 'total' | 'address' {
    if (this.total >= this.maxTotal) return 'total';
    const mine = this.byAddress.get(address) ?? 0;
    if (mine >= this.maxPerAddress) return 'address';
    this.total++;
    this.byAddress.set(address, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = this.byAddress.get(address)! - 1;
      if (left === 0) this.byAddress.delete(address);
      else this.byAddress.set(address, left);
    };
  }
}
