// The live feed's memory rules, with a store and clients in memory: rows serialized once per feed,
// a client that falls behind is dropped, catch-up is capped and waits for the socket.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { CATCH_UP_MAX, LiveFeed, MAX_BUFFERED_BYTES, StreamSlots, type LiveClient } from '../src/http/live.js';
import { sseClient } from '../src/http/routes/history-stream.js';
import type { HistoryRow, HistoryStore } from '../src/store/history-store.js';

/** Rows 1..n; each counts how often it is serialized (JSON.stringify calls toJSON). */
class MemoryStore {
  rows: HistoryRow[] = [];
  serialized = 0;
  private listeners: ((rows: readonly HistoryRow[]) => void)[] = [];
  add(n: number, text = 'x'): void {
    for (let i = 0; i < n; i++) {
      const id = this.rows.length + 1;
      const row = { id, text, sentiment: 0, subjectivity: 0, label: 'neutral', engine: 'textblob', createdAt: '2026-12-03T00:00:00.000Z' };
      Object.defineProperty(row, 'toJSON', { enumerable: false, value: () => (this.serialized++, { ...row }) });
      this.rows.push(row as unknown as HistoryRow);
    }
    for (const l of this.listeners) l([]);
  }
  async list({ limit }: { limit: number }) {
    return { rows: this.rows.slice(-limit).reverse(), more: this.rows.length > limit };
  }
  async rowsAfter(after: number, limit: number) {
    return this.rows.filter((r) => r.id > after).slice(0, limit);
  }
  onCommit(l: (rows: readonly HistoryRow[]) => void) {
    this.listeners.push(l);
  }
  asStore(): HistoryStore {
    return this as unknown as HistoryStore;
  }
}

/** A client whose socket takes `takes` bytes at most; the rest stays queued until `read()`. */
class FakeClient implements LiveClient {
  frames: string[] = [];
  queued = 0;
  open = true;
  dropped = false;
  private waiting: ((ok: boolean) => void)[] = [];
  constructor(private readonly highWaterMark = Infinity) {}
  write(frame: string): boolean {
    this.frames.push(frame);
    this.queued += Buffer.byteLength(frame);
    return this.queued < this.highWaterMark;
  }
  get buffered() {
    return this.queued;
  }
  drained() {
    return new Promise<boolean>((resolve) => this.waiting.push(resolve));
  }
  read() {
    this.queued = 0;
    for (const w of this.waiting.splice(0)) w(true);
  }
  close() {
    this.open = false;
    for (const w of this.waiting.splice(0)) w(false);
  }
  drop() {
    this.dropped = true;
    this.close();
  }
  ids() {
    return this.frames.map((f) => Number(/^id: (\d+)$/m.exec(f)?.[1]));
  }
}

async function until(cond: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('LiveFeed', () => {
  test('each new row is serialized once, however many clients listen', async (t) => {
    const store = new MemoryStore();
    const feed = new LiveFeed(store.asStore());
    t.after(() => feed.close());
    const clients = Array.from({ length: 20 }, () => new FakeClient());
    for (const c of clients) await feed.subscribe(c);
    store.add(5);
    await until(() => clients.every((c) => c.frames.length === 5));
    assert.equal(store.serialized, 5);
    for (const c of clients) assert.deepEqual(c.ids(), [1, 2, 3, 4, 5]);
  });

  test(`a client with more than ${MAX_BUFFERED_BYTES} bytes queued is dropped; the others go on`, async (t) => {
    const store = new MemoryStore();
    const feed = new LiveFeed(store.asStore());
    t.after(() => feed.close());
    const reader = new FakeClient();
    const stalled = new FakeClient();
    await feed.subscribe(reader);
    await feed.subscribe(stalled);
    const text = 'é'.repeat(10_000); // ~20 KB of JSON a row
    for (let i = 0; i < 40; i++) {
      store.add(1, text);
      await until(() => reader.frames.length === i + 1);
      reader.read();
    }
    await until(() => reader.frames.length === 40);
    assert.ok(stalled.dropped, 'the stalled client was dropped');
    assert.equal(feed.dropped, 1);
    assert.ok(stalled.queued <= MAX_BUFFERED_BYTES + 25_000, `queue stayed bounded: ${stalled.queued}`);
    assert.deepEqual(
      reader.ids(),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    assert.equal(feed.size, 1);
  });

  test(`a reconnect is replayed at most ${CATCH_UP_MAX} rows (the newest), then gets live rows`, async (t) => {
    const store = new MemoryStore();
    store.add(5000);
    const feed = new LiveFeed(store.asStore());
    t.after(() => feed.close());
    for (const after of [0, 3500]) {
      const c = new FakeClient();
      await feed.subscribe(c, after);
      const ids = c.ids();
      assert.equal(ids.length, Math.min(CATCH_UP_MAX, 5000 - after));
      assert.equal(ids[0], Math.max(after, 5000 - CATCH_UP_MAX) + 1);
      assert.equal(ids.at(-1), 5000);
      feed.unsubscribe(c);
    }
    const c = new FakeClient();
    await feed.subscribe(c, 4998);
    store.add(1);
    await until(() => c.frames.length === 3);
    assert.deepEqual(c.ids(), [4999, 5000, 5001]);
  });

  test('catch-up waits for the socket to drain; a client gone meanwhile is never added', async (t) => {
    const store = new MemoryStore();
    store.add(300, 'y'.repeat(1000));
    const feed = new LiveFeed(store.asStore());
    t.after(() => feed.close());
    const c = new FakeClient(16 * 1024);
    const subscribed = feed.subscribe(c, 0);
    await until(() => c.frames.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    const before = c.frames.length;
    assert.ok(before < 20, `stopped at the high-water mark, not after ${before} rows`);
    c.read();
    await until(() => c.frames.length > before);
    assert.ok(c.queued <= 16 * 1024 + 1100);
    c.close();
    await subscribed;
    assert.equal(feed.size, 0, 'not subscribed after it went away');
    assert.ok(c.frames.length < 300);
  });

  test('close() ends clients that are still catching up', async (t) => {
    const store = new MemoryStore();
    store.add(100, 'z'.repeat(1000));
    const feed = new LiveFeed(store.asStore());
    t.after(() => feed.close());
    const c = new FakeClient(4096);
    const subscribed = feed.subscribe(c, 0);
    await until(() => c.frames.length > 0);
    feed.close();
    await subscribed;
    assert.equal(c.open, false);
    const late = new FakeClient();
    await feed.subscribe(late);
    assert.equal(late.open, false, 'a stream opened after close() is ended at once');
    assert.equal(feed.size, 0);
  });
});

describe('StreamSlots', () => {
  test('caps per address and in total; check and reservation are one step; release once', () => {
    const slots = new StreamSlots(5, 2);
    const a1 = slots.take('a');
    const a2 = slots.take('a');
    assert.equal(typeof a1, 'function');
    assert.equal(typeof a2, 'function');
    assert.equal(slots.take('a'), 'address');
    const others = ['b', 'b', 'c'].map((x) => slots.take(x));
    assert.ok(others.every((r) => typeof r === 'function'));
    assert.equal(slots.take('d'), 'total');
    (a1 as () => void)();
    (a1 as () => void)();
    assert.equal(slots.open, 4);
    assert.equal(typeof slots.take('a'), 'function');
    assert.equal(slots.take('e'), 'total');
  });
});

describe('the SSE response as a live client (routes/history-stream.ts)', () => {
  /** A response that records writes and whose socket takes nothing. */
  function fakeResponse() {
    const res = new EventEmitter() as EventEmitter & Record<string, unknown>;
    const writes: string[] = [];
    Object.assign(res, {
      writableEnded: false,
      destroyed: false,
      writableLength: 0,
      write(chunk: string) {
        if (res['writableEnded'] || res['destroyed']) throw new Error('write after end');
        writes.push(chunk);
        (res['writableLength'] as number) += chunk.length;
        return (res['writableLength'] as number) < 16;
      },
      end() {
        res['writableEnded'] = true;
      },
      destroy() {
        res['destroyed'] = true;
        res.emit('close');
      },
    });
    return { res, writes };
  }

  test('never writes after the response ended or was destroyed (the heartbeat goes through write too)', () => {
    for (const finish of ['end', 'destroy'] as const) {
      const { res, writes } = fakeResponse();
      const client = sseClient(res as unknown as ServerResponse);
      assert.equal(client.write(': keep-alive\n\n'), true);
      (res[finish] as () => void)();
      assert.equal(client.open, false);
      assert.equal(client.write(': keep-alive\n\n'), false);
      assert.deepEqual(writes, [': keep-alive\n\n']);
    }
  });

  test('close() ends the stream and discards what a non-reader left queued; drained() answers false once closed', async () => {
    const { res } = fakeResponse();
    const client = sseClient(res as unknown as ServerResponse);
    client.write('id: 1\nevent: analysis\ndata: {}\n\n');
    const drained = client.drained();
    client.close();
    assert.equal(res['destroyed'], true, 'queued bytes are not kept for a client that will reconnect anyway');
    assert.equal(await drained, false);
    assert.equal(await client.drained(), false);
  });
});
