// The HistoryStore contract. Every backend runs this same suite (PostgreSQL will join SQLite).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PAGE_MAX_BYTES, type HistoryStore, type NewRow } from '../src/store/history-store.js';
import { PostgresHistoryStore } from '../src/store/postgres.js';
import { CACHED_PAGE_MAX, SqliteHistoryStore } from '../src/store/sqlite.js';
import { PG_URL, pgAvailable, pgSchema } from './pg-helpers.js';

interface Backend {
  name: string;
  /** A fresh, empty store; `reopen` gives a second handle on the same data (another process's view). */
  open(): Promise<{ store: HistoryStore; reopen: () => Promise<HistoryStore>; cleanup: () => Promise<void> }>;
}

const sqlite: Backend = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'polarity-store-'));
    const path = join(dir, 'history.db');
    return { store: new SqliteHistoryStore(path), reopen: async () => new SqliteHistoryStore(path), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async open() {
    const { schema, drop } = await pgSchema();
    return {
      store: await PostgresHistoryStore.open(PG_URL, { schema }),
      reopen: () => PostgresHistoryStore.open(PG_URL, { schema }),
      cleanup: drop,
    };
  },
};

const row = (text: string, sentiment = 0, subjectivity = 0, engine: NewRow['engine'] = 'textblob'): NewRow => ({ text, sentiment, subjectivity, engine });

export function storeSuite(backend: Backend, skip?: string): void {
  describe(`HistoryStore: ${backend.name}`, { skip }, () => {
    const setup = async (t: { after: (fn: () => unknown) => void }) => {
      const s = await backend.open();
      const extra: HistoryStore[] = [];
      t.after(async () => {
        await s.store.close();
        for (const e of extra) await e.close();
        await s.cleanup();
      });
      return { store: s.store, reopen: async () => { const e = await s.reopen(); extra.push(e); return e; } };
    };

    test('each row keeps the engine that scored it, and its label follows that engine', async (t) => {
      const { store, reopen } = await setup(t);
      const saved = await store.insert([row('tb', 0.01, 0.5), row('vd', 0.01, 0.5, 'vader'), row('vd2', -0.05, 0.5, 'vader'), row('bl', 0.3, 0.5, 'blend')]);
      assert.deepEqual(saved.map((r) => [r.engine, r.label]), [['textblob', 'positive'], ['vader', 'neutral'], ['vader', 'negative'], ['blend', 'positive']]);
      const other = await reopen();
      const page = await other.list({ limit: 10 });
      assert.deepEqual(page.rows.map((r) => [r.text, r.engine, r.label]), [['bl', 'blend', 'positive'], ['vd2', 'vader', 'negative'], ['vd', 'vader', 'neutral'], ['tb', 'textblob', 'positive']]);
      assert.deepEqual(JSON.parse((await other.newestPageJson(2)).json).map((r: { engine: string }) => r.engine), ['blend', 'vader']);
      assert.equal((await other.get(saved[1]!.id))?.engine, 'vader');
      assert.deepEqual((await other.rowsAfter(0, 10)).map((r) => r.engine), ['textblob', 'vader', 'vader', 'blend']);
    });

    test('insert answers ids in order and rows read back newest first', async (t) => {
      const { store } = await setup(t);
      const [a] = await store.insert([row('first', 0.5, 0.6)]);
      const [b, c] = await store.insert([row('second', -0.25, 0.1), row('third')]);
      assert.ok(a!.id < b!.id && b!.id < c!.id);
      assert.deepEqual([a!.label, b!.label, c!.label], ['positive', 'negative', 'neutral']);
      const page = await store.list({ limit: 10 });
      assert.deepEqual(page.rows.map((r) => r.text), ['third', 'second', 'first']);
      assert.equal(page.more, false);
      assert.equal(page.rows[2]!.sentiment, 0.5);
      assert.equal(page.rows[2]!.subjectivity, 0.6);
      assert.match(page.rows[0]!.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(await store.count(), 3);
    });

    test('concurrent inserts share a commit and every caller gets its own row', async (t) => {
      const { store } = await setup(t);
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.insert([row(`t${i}`)])));
      const ids = results.map((r) => r[0]!.id);
      assert.equal(new Set(ids).size, 200);
      for (let i = 0; i < 200; i++) assert.equal((await store.get(ids[i]!))!.text, `t${i}`);
      assert.equal(await store.count(), 200);
    });

    test('cursor pages walk the whole history exactly once', async (t) => {
      const { store } = await setup(t);
      await store.insert(Array.from({ length: 257 }, (_, i) => row(`r${i}`)));
      const seen: string[] = [];
      let before: number | undefined;
      for (;;) {
        const page = await store.list({ limit: 50, before });
        seen.push(...page.rows.map((r) => r.text));
        if (!page.more) break;
        before = page.rows.at(-1)!.id;
      }
      assert.equal(seen.length, 257);
      assert.equal(seen[0], 'r256');
      assert.equal(seen.at(-1), 'r0');
      assert.equal(new Set(seen).size, 257);
    });

    test('newest page JSON is the same as list() and flags more rows', async (t) => {
      const { store } = await setup(t);
      assert.deepEqual(await store.newestPageJson(50), { json: '[]', more: false, lastId: undefined });
      await store.insert(Array.from({ length: 60 }, (_, i) => row(`r${i}`, i / 100)));
      const page = await store.newestPageJson(50);
      const listed = await store.list({ limit: 50 });
      assert.deepEqual(JSON.parse(page.json), listed.rows);
      assert.equal(page.more, true);
      assert.equal(page.lastId, listed.rows.at(-1)!.id);
      const all = await store.newestPageJson(CACHED_PAGE_MAX + 50);
      assert.equal(JSON.parse(all.json).length, 60);
      assert.equal(all.more, false);
    });

    test("a second handle sees the other's commits at once, including deletions", async (t) => {
      const { store, reopen } = await setup(t);
      const other = await reopen();
      await store.insert([row('one')]);
      assert.deepEqual(JSON.parse((await other.newestPageJson(50)).json).map((r: { text: string }) => r.text), ['one']);
      await other.insert([row('two')]);
      await store.insert([row('three')]);
      for (const s of [store, other]) {
        assert.deepEqual(JSON.parse((await s.newestPageJson(50)).json).map((r: { text: string }) => r.text), ['three', 'two', 'one']);
        assert.deepEqual((await s.list({ limit: 2 })).rows.map((r) => r.text), ['three', 'two']);
      }
      const [two] = (await other.list({ limit: 1, before: (await other.list({ limit: 1 })).rows[0]!.id })).rows;
      assert.equal(await store.delete(two!.id), true);
      assert.deepEqual(JSON.parse((await other.newestPageJson(50)).json).map((r: { text: string }) => r.text), ['three', 'one']);
      assert.equal(await other.deleteAll(), 2);
      assert.equal((await store.newestPageJson(50)).json, '[]');
    });

    test('text comes back byte for byte: NUL, emoji, RTL, combining marks, CR LF', async (t) => {
      const { store, reopen } = await setup(t);
      const texts = ['a\u0000b', '😀 👍🏽 family: 👨‍👩‍👧', 'שלום עולם مرحبا', 'e\u0301 \u200b zero-width', 'line1\r\nline2\n', '', ' \t ', '\u{10FFFF}'];
      const saved = await store.insert(texts.map((x) => row(x)));
      const other = await reopen();
      for (let i = 0; i < texts.length; i++) {
        assert.equal((await other.get(saved[i]!.id))!.text, texts[i]);
      }
      assert.deepEqual((await other.rowsAfter(0, 100)).map((r) => r.text), texts);
    });

    test('ids are never reused after a deletion, so cursors stay valid', async (t) => {
      const { store } = await setup(t);
      const [a] = await store.insert([row('a')]);
      await store.deleteAll();
      const [b] = await store.insert([row('b')]);
      assert.ok(b!.id > a!.id);
      assert.equal(await store.delete(a!.id), false);
      assert.equal(await store.get(a!.id), undefined);
    });

    test('rows survive closing and reopening (a restart)', async (t) => {
      const { store, reopen } = await setup(t);
      await store.insert([row('kept', 0.1, 0.2)]);
      await store.close();
      const again = await reopen();
      const page = await again.list({ limit: 5 });
      assert.deepEqual(page.rows.map((r) => [r.text, r.sentiment, r.subjectivity]), [['kept', 0.1, 0.2]]);
    });

    test('close() commits inserts still waiting for their turn', async (t) => {
      const { store, reopen } = await setup(t);
      const pending = store.insert([row('late')]);
      await store.close();
      assert.equal((await pending)[0]!.text, 'late');
      assert.equal(await (await reopen()).count(), 1);
      await assert.rejects(store.insert([row('after close')]));
    });

    test('createdAt given on insert (imports) is kept', async (t) => {
      const { store } = await setup(t);
      const when = new Date('2021-05-04T03:02:01.000Z');
      const [r] = await store.insert([{ ...row('old'), createdAt: when }]);
      assert.equal(r!.createdAt, when.toISOString());
      assert.equal((await store.get(r!.id))!.createdAt, when.toISOString());
    });

    test('onCommit hears every committed batch', async (t) => {
      const { store } = await setup(t);
      const heard: string[] = [];
      store.onCommit((rows) => heard.push(...rows.map((r) => r.text)));
      await Promise.all([store.insert([row('x')]), store.insert([row('y'), row('z')])]);
      assert.deepEqual(heard, ['x', 'y', 'z']);
    });

    test('retention: a row cap keeps the newest rows; an age cap deletes old ones', async (t) => {
      const { store } = await setup(t);
      const old = new Date(Date.now() - 3 * 86_400_000);
      await store.insert(Array.from({ length: 30 }, (_, i) => ({ ...row(`old ${i}`), createdAt: old })));
      await store.insert(Array.from({ length: 30 }, (_, i) => row(`new ${i}`)));
      assert.equal(await store.trim({ maxRows: 45 }), 15);
      assert.equal(await store.count(), 45);
      assert.equal((await store.rowsAfter(0, 1))[0]!.text, 'old 15');
      assert.equal((await store.list({ limit: 1 })).rows[0]!.text, 'new 29');
      assert.equal(await store.trim({ maxAgeMs: 86_400_000 }), 15);
      assert.deepEqual((await store.rowsAfter(0, 100)).map((r) => r.text), Array.from({ length: 30 }, (_, i) => `new ${i}`));
      assert.equal(await store.trim({ maxRows: 100, maxAgeMs: 86_400_000 }), 0);
      // The cached newest page follows deletions made by retention.
      assert.equal(JSON.parse((await store.newestPageJson(50)).json).length, 30);
    });

    test('pages hold at most PAGE_MAX_BYTES of JSON, and the cursor continues them exactly', async (t) => {
      const { store, reopen } = await setup(t);
      // 150 rows of 20,000 characters, some needing escapes or several UTF-8 bytes: ~3.4 MB.
      const big = (i: number) => `${i} ` + (i % 3 === 0 ? '"é\n'.repeat(5000) : i % 3 === 1 ? 'x'.repeat(20_000) : '😀'.repeat(10_000));
      for (let at = 0; at < 150; at += 50) await store.insert(Array.from({ length: 50 }, (_, i) => row(big(at + i))));
      const other = await reopen();
      for (const s of [store, other]) {
        for (const limit of [1000, 200, 60]) {
          // The newest page (served from the cache up to CACHED_PAGE_MAX rows), then cursor pages.
          const first = await s.newestPageJson(limit);
          assert.ok(Buffer.byteLength(first.json) <= PAGE_MAX_BYTES, `newest page of ${limit}: ${Buffer.byteLength(first.json)} bytes`);
          const rows: { id: number; text: string }[] = JSON.parse(first.json);
          assert.ok(rows.length > 1 && rows.length < 150, `newest page of ${limit}: ${rows.length} rows`);
          assert.equal(first.more, true);
          assert.equal(first.lastId, rows.at(-1)!.id);
          assert.deepEqual((await s.list({ limit })).rows.map((r) => r.id), rows.map((r) => r.id));
          const seen = rows.map((r) => r.text);
          let before = first.lastId;
          for (let more: boolean = first.more; more; ) {
            const page = await s.list({ limit, before });
            assert.ok(Buffer.byteLength(JSON.stringify(page.rows)) <= PAGE_MAX_BYTES);
            assert.ok(page.rows.length > 0);
            seen.push(...page.rows.map((r) => r.text));
            more = page.more;
            before = page.rows.at(-1)!.id;
          }
          assert.deepEqual(seen, Array.from({ length: 150 }, (_, i) => big(149 - i)), `limit ${limit}: every row once, newest first`);
        }
      }
    });

    test('a row larger than the page budget is a page of its own', async (t) => {
      const { store, reopen } = await setup(t);
      const huge = 'y'.repeat(PAGE_MAX_BYTES + 10);
      await store.insert([row('small old'), row(huge), row(huge), row('small new')]);
      for (const s of [store, await reopen()]) {
        const first = await s.newestPageJson(50);
        assert.deepEqual(JSON.parse(first.json).map((r: { text: string }) => r.text.length), [9]);
        assert.equal(first.more, true);
        const sizes: number[] = [];
        let before = first.lastId;
        for (let more: boolean = first.more; more; ) {
          const page = await s.list({ limit: 50, before });
          sizes.push(...page.rows.map((r) => r.text.length));
          assert.equal(page.rows.length, 1);
          more = page.more;
          before = page.rows.at(-1)!.id;
        }
        assert.deepEqual(sizes, [huge.length, huge.length, 9]);
      }
    });

    test('retention deletes in many chunks, oldest first, and reports each', async (t) => {
      const { store } = await setup(t);
      const old = Date.now() - 10 * 86_400_000;
      // Imported rows: created_at not in id order.
      await store.insert(Array.from({ length: 3000 }, (_, i) => ({ ...row(`old ${i}`), createdAt: new Date(old + (i % 7) * 1000) })));
      await store.insert(Array.from({ length: 3000 }, (_, i) => row(`new ${i}`)));
      const chunks: number[] = [];
      assert.equal(await store.trim({ maxRows: 4000 }, (n) => chunks.push(n)), 2000);
      assert.equal(chunks.reduce((a, b) => a + b, 0), 2000);
      assert.equal((await store.rowsAfter(0, 1))[0]!.text, 'old 2000');
      assert.equal(await store.trim({ maxAgeMs: 86_400_000 }), 1000);
      assert.equal(await store.count(), 3000);
      assert.equal((await store.rowsAfter(0, 1))[0]!.text, 'new 0');
    });

    test('deleteAll deletes every row, in chunks, and nothing committed after it', async (t) => {
      const { store } = await setup(t);
      await store.insert(Array.from({ length: 5000 }, (_, i) => row(`r${i}`)));
      assert.equal(await store.deleteAll(), 5000);
      assert.equal(await store.count(), 0);
      assert.equal(await store.deleteAll(), 0);
    });

    test('a row cap smaller than a trim chunk and larger than the table', async (t) => {
      const { store } = await setup(t);
      await store.insert(Array.from({ length: 5 }, (_, i) => row(`r${i}`)));
      assert.equal(await store.trim({ maxRows: 10 }), 0);
      assert.equal(await store.trim({ maxRows: 1 }), 4);
      assert.deepEqual((await store.list({ limit: 10 })).rows.map((r) => r.text), ['r4']);
    });
  });
}

storeSuite(sqlite);
storeSuite(postgres, await pgAvailable());
