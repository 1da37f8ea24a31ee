// The HistoryStore contract. Every backend runs this same suite (PostgreSQL will join SQLite).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { IDEMPOTENCY_TTL_MS, PAGE_MAX_BYTES, type HistoryStore, type NewRow } from '../src/store/history-store.js';
import { PostgresHistoryStore } from '../src/store/postgres.js';
import { CACHED_PAGE_MAX, SqliteHistoryStore } from '../src/store/sqlite.js';
import { PG_URL, pgAvailable, pgSchema } from './pg-helpers.js';

interface Backend {
  name: string;
  /** A fresh, empty store; `reopen` gives a second handle on the same data (another process's view). */
  open(): Promise<{ store: HistoryStore; reopen: () => Promise<HistoryStore>; cleanup: () => Promise<void>; sql: (sql: string) => Promise<unknown> }>;
}

const sqlite: Backend = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'polarity-store-'));
    const path = join(dir, 'history.db');
    return {
      store: new SqliteHistoryStore(path),
      reopen: async () => new SqliteHistoryStore(path),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      /** Runs one statement on its own connection; answers its first row's first column. */
      sql: async (sql) => {
        const db = new Database(path);
        try {
          const stmt = db.prepare(sql);
          return stmt.reader ? stmt.pluck().get() : (stmt.run(), undefined);
        } finally {
          db.close();
        }
      },
    };
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
      sql: async (sql) => {
        const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
        await c.connect();
        try {
          const { rows } = await c.query({ text: sql, rowMode: 'array' });
          return rows[0]?.[0];
        } finally {
          await c.end();
        }
      },
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
      return {
        store: s.store,
        sql: s.sql,
        reopen: async () => {
          const e = await s.reopen();
          extra.push(e);
          return e;
        },
      };
    };

    test('each row keeps the engine that scored it, and its label follows that engine', async (t) => {
      const { store, reopen } = await setup(t);
      const saved = await store.insert([row('tb', 0.01, 0.5), row('vd', 0.01, 0.5, 'vader'), row('vd2', -0.05, 0.5, 'vader'), row('bl', 0.3, 0.5, 'blend')]);
      assert.deepEqual(
        saved.map((r) => [r.engine, r.label]),
        [
          ['textblob', 'positive'],
          ['vader', 'neutral'],
          ['vader', 'negative'],
          ['blend', 'positive'],
        ],
      );
      const other = await reopen();
      const page = await other.list({ limit: 10 });
      assert.deepEqual(
        page.rows.map((r) => [r.text, r.engine, r.label]),
        [
          ['bl', 'blend', 'positive'],
          ['vd2', 'vader', 'negative'],
          ['vd', 'vader', 'neutral'],
          ['tb', 'textblob', 'positive'],
        ],
      );
      assert.deepEqual(
        JSON.parse((await other.newestPageJson(2)).json).map((r: { engine: string }) => r.engine),
        ['blend', 'vader'],
      );
      assert.equal((await other.get(saved[1]!.id))?.engine, 'vader');
      assert.deepEqual(
        (await other.rowsAfter(0, 10)).map((r) => r.engine),
        ['textblob', 'vader', 'vader', 'blend'],
      );
    });

    test('insert answers ids in order and rows read back newest first', async (t) => {
      const { store } = await setup(t);
      const [a] = await store.insert([row('first', 0.5, 0.6)]);
      const [b, c] = await store.insert([row('second', -0.25, 0.1), row('third')]);
      assert.ok(a!.id < b!.id && b!.id < c!.id);
      assert.deepEqual([a!.label, b!.label, c!.label], ['positive', 'negative', 'neutral']);
      const page = await store.list({ limit: 10 });
      assert.deepEqual(
        page.rows.map((r) => r.text),
        ['third', 'second', 'first'],
      );
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
      assert.deepEqual(
        JSON.parse((await other.newestPageJson(50)).json).map((r: { text: string }) => r.text),
        ['one'],
      );
      await other.insert([row('two')]);
      await store.insert([row('three')]);
      for (const s of [store, other]) {
        assert.deepEqual(
          JSON.parse((await s.newestPageJson(50)).json).map((r: { text: string }) => r.text),
          ['three', 'two', 'one'],
        );
        assert.deepEqual(
          (await s.list({ limit: 2 })).rows.map((r) => r.text),
          ['three', 'two'],
        );
      }
      const [two] = (await other.list({ limit: 1, before: (await other.list({ limit: 1 })).rows[0]!.id })).rows;
      assert.equal(await store.delete(two!.id), true);
      assert.deepEqual(
        JSON.parse((await other.newestPageJson(50)).json).map((r: { text: string }) => r.text),
        ['three', 'one'],
      );
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
      assert.deepEqual(
        (await other.rowsAfter(0, 100)).map((r) => r.text),
        texts,
      );
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
      assert.deepEqual(
        page.rows.map((r) => [r.text, r.sentiment, r.subjectivity]),
        [['kept', 0.1, 0.2]],
      );
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
      assert.deepEqual(
        (await store.rowsAfter(0, 100)).map((r) => r.text),
        Array.from({ length: 30 }, (_, i) => `new ${i}`),
      );
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
          assert.deepEqual(
            (await s.list({ limit })).rows.map((r) => r.id),
            rows.map((r) => r.id),
          );
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
          assert.deepEqual(
            seen,
            Array.from({ length: 150 }, (_, i) => big(149 - i)),
            `limit ${limit}: every row once, newest first`,
          );
        }
      }
    });

    test('a row larger than the page budget is a page of its own', async (t) => {
      const { store, reopen } = await setup(t);
      const huge = 'y'.repeat(PAGE_MAX_BYTES + 10);
      await store.insert([row('small old'), row(huge), row(huge), row('small new')]);
      for (const s of [store, await reopen()]) {
        const first = await s.newestPageJson(50);
        assert.deepEqual(
          JSON.parse(first.json).map((r: { text: string }) => r.text.length),
          [9],
        );
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
      assert.equal(
        chunks.reduce((a, b) => a + b, 0),
        2000,
      );
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

    test('insertOnce: a new key stores; the same key and request replays; another request is a mismatch', async (t) => {
      const { store } = await setup(t);
      const heard: string[] = [];
      store.onCommit((rows) => heard.push(...rows.map((r) => r.text)));
      const first = await store.insertOnce({ key: 'k1', fingerprint: 'f1' }, [row('a'), row('b', 0.5)]);
      assert.equal(first.outcome, 'stored');
      if (first.outcome !== 'stored') return;
      assert.deepEqual(
        first.rows.map((r) => [r.text, r.sentiment, r.label]),
        [
          ['a', 0, 'neutral'],
          ['b', 0.5, 'positive'],
        ],
      );
      assert.ok(first.rows[1]!.id > first.rows[0]!.id);
      assert.deepEqual(heard, ['a', 'b']);
      // The newest page has them at once (SQLite's cache learns its own commits).
      assert.deepEqual(
        JSON.parse((await store.newestPageJson(50)).json).map((r: { id: number }) => r.id),
        first.rows.map((r) => r.id).reverse(),
      );

      const again = await store.insertOnce({ key: 'k1', fingerprint: 'f1' }, [row('a'), row('b', 0.5)]);
      assert.deepEqual(again, { outcome: 'replayed', ids: first.rows.map((r) => r.id), createdAt: first.rows[0]!.createdAt });
      assert.deepEqual(await store.insertOnce({ key: 'k1', fingerprint: 'other' }, [row('c')]), { outcome: 'mismatch' });
      assert.equal(await store.count(), 2);
      assert.deepEqual(heard, ['a', 'b']);
      // A key is one key: 'K1' is another, and so is a key with no rows.
      assert.equal((await store.insertOnce({ key: 'K1', fingerprint: 'f1' }, [row('a')])).outcome, 'stored');
      assert.deepEqual(await store.insertOnce({ key: 'empty', fingerprint: 'e' }, []), { outcome: 'stored', rows: [] });
      const empty = await store.insertOnce({ key: 'empty', fingerprint: 'e' }, []);
      assert.equal(empty.outcome, 'replayed');
      assert.equal(await store.count(), 3);
    });

    test('insertOnce: one key from two handles at once stores once, and both answer the same ids', async (t) => {
      const { store, reopen } = await setup(t);
      const other = await reopen();
      for (let round = 0; round < 20; round++) {
        const key = { key: `race-${round}`, fingerprint: 'same' };
        const rows = [row(`race ${round}`)];
        const results = await Promise.all([store.insertOnce(key, rows), other.insertOnce(key, rows), store.insertOnce(key, rows)]);
        const ids = results.map((r) => (r.outcome === 'stored' ? r.rows.map((x) => x.id) : r.outcome === 'replayed' ? [...r.ids] : []));
        assert.equal(results.filter((r) => r.outcome === 'stored').length, 1, `round ${round}: stored once`);
        assert.equal(results.filter((r) => r.outcome === 'replayed').length, 2);
        assert.deepEqual(ids[1], ids[0]);
        assert.deepEqual(ids[2], ids[0]);
      }
      assert.equal(await store.count(), 20);
      assert.equal(await other.count(), 20);
    });

    test('insertOnce: keys expire after IDEMPOTENCY_TTL_MS, and later calls delete expired ones', async (t) => {
      const { store, sql } = await setup(t);
      for (let i = 0; i < 40; i++) await store.insertOnce({ key: `old-${i}`, fingerprint: 'f' }, [row(`old ${i}`)]);
      const hours = IDEMPOTENCY_TTL_MS / 3_600_000 + 1;
      await sql(
        backend.name === 'sqlite' ? `UPDATE idempotency_keys SET created_at = created_at - ${hours * 3_600_000}` : `UPDATE idempotency_keys SET created_at = created_at - interval '${hours} hours'`,
      );
      // An expired key is a new key: the request stores again, and its other request is no mismatch.
      assert.equal((await store.insertOnce({ key: 'old-0', fingerprint: 'new' }, [row('again')])).outcome, 'stored');
      assert.equal(await store.count(), 41);
      const keys = async () => Number(await sql('SELECT count(*) FROM idempotency_keys'));
      // That call forgot old-0 and up to 16 other expired keys; two more calls forget the rest.
      assert.ok((await keys()) <= 40 - 16, `${await keys()} keys left after one call`);
      for (let i = 0; i < 2; i++) await store.insertOnce({ key: `new-${i}`, fingerprint: 'f' }, [row(`new ${i}`)]);
      assert.equal(await keys(), 3);
      for (let i = 1; i < 40; i += 13) {
        assert.equal((await store.insertOnce({ key: `old-${i}`, fingerprint: 'other request' }, [row(`old again ${i}`)])).outcome, 'stored', `old-${i} expired`);
      }
    });

    test('a row cap smaller than a trim chunk and larger than the table', async (t) => {
      const { store } = await setup(t);
      await store.insert(Array.from({ length: 5 }, (_, i) => row(`r${i}`)));
      assert.equal(await store.trim({ maxRows: 10 }), 0);
      assert.equal(await store.trim({ maxRows: 1 }), 4);
      assert.deepEqual(
        (await store.list({ limit: 10 })).rows.map((r) => r.text),
        ['r4'],
      );
    });
  });
}

storeSuite(sqlite);
storeSuite(postgres, await pgAvailable());
