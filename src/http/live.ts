// Live history for Server-Sent Events: every committed row, in id order, exactly once per client.
//
// Rows may be committed by this process or by any other sharing the store, so the feed does not
// forward this process's commits directly (that could overtake an older row committed elsewhere);
// it reads "rows after the last id sent" — at once after a local commit, and every POLL_MS while
// anyone listens, to see other processes' rows.
import type { HistoryRow, HistoryStore } from '../store/history-store.js';

const POLL_MS = 250;
const CATCH_UP_MAX = 1000;

export interface LiveClient {
  send(row: HistoryRow): void;
  /** Ends the stream (server shutdown). */
  close(): void;
}

export class LiveFeed {
  private readonly clients = new Map<LiveClient, { sentId: number }>();
  private lastId = 0;
  private started = false;
  private polling = false;
  private pollAgain = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: HistoryStore) {
    store.onCommit(() => {
      if (this.clients.size > 0) setImmediate(() => void this.poll());
    });
  }

  get size(): number {
    return this.clients.size;
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
   * Adds a client. With `lastEventId` (the SSE reconnect header) it first gets every row after
   * that id (at most CATCH_UP_MAX), then live rows.
   */
  async subscribe(client: LiveClient, lastEventId?: number): Promise<void> {
    await this.start();
    let sent = lastEventId ?? this.lastId;
    if (sent < this.lastId - CATCH_UP_MAX * 10) sent = this.lastId - CATCH_UP_MAX;
    // Catch up until level with the feed; the last check and the add below run in one turn.
    while (sent < this.lastId) {
      const rows = await this.store.rowsAfter(sent, CATCH_UP_MAX);
      if (rows.length === 0) break;
      for (const row of rows) client.send(row);
      sent = rows.at(-1)!.id;
    }
    this.clients.set(client, { sentId: sent });
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
        const rows = await this.store.rowsAfter(this.lastId, CATCH_UP_MAX);
        if (rows.length === 0) break;
        for (const [client, state] of this.clients) {
          for (const row of rows) {
            if (row.id > state.sentId) {
              client.send(row);
              state.sentId = row.id;
            }
          }
        }
        this.lastId = rows.at(-1)!.id;
        if (rows.length === CATCH_UP_MAX) this.pollAgain = true;
      } while (this.pollAgain);
    } catch {
      // The store is unavailable; the next tick retries. /readyz reports the store's health.
    } finally {
      this.polling = false;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const client of this.clients.keys()) client.close();
    this.clients.clear();
  }
}
