// Crash test: SIGKILL the whole server (primary and workers) while clients write, restart it,
// and check that every /analyze answered 200 is in the history with its text. Loopback only,
// bounded in time and requests.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteHistoryStore } from '../src/store/sqlite.js';
import { tempDir } from './helpers.js';
import { startServer } from './process-helpers.js';

const ROUNDS = 3;
const CLIENTS = 24;
const MAX_REQUESTS_PER_ROUND = 4000;
const KILL_AFTER_ACKS = 400;

for (const sync of ['full', 'normal'] as const) {
  test(`every acknowledged write survives SIGKILL of the server, three times over (--sqlite-sync ${sync})`, { timeout: 120_000 }, async (t) => {
    const db = join(tempDir(t), 'crash.db');
    const acked = new Map<number, string>();
    let failedAfterKill = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const server = await startServer(['--db', db, '--workers', '2', '--sqlite-sync', sync]);
      t.after(() => server.signal('SIGKILL'));
      let sent = 0;
      let roundAcks = 0;
      let killed = false;
      const killedAt = new Promise<void>((resolve) => {
        const client = async (c: number) => {
          while (!killed && sent < MAX_REQUESTS_PER_ROUND) {
            const text = `round ${round} client ${c} request ${sent++} — ünïcödé 😀`;
            try {
              const res = await fetch(`${server.url}/analyze`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
              if (res.status === 200) {
                const body = (await res.json()) as { id: number };
                acked.set(body.id, text);
                if (++roundAcks === KILL_AFTER_ACKS) {
                  // Kill while the other clients' requests are in flight.
                  server.signal('SIGKILL');
                  killed = true;
                  resolve();
                }
              }
            } catch {
              if (killed) failedAfterKill++;
              else await new Promise((r) => setTimeout(r, 5));
            }
          }
          resolve();
        };
        for (let c = 0; c < CLIENTS; c++) void client(c);
      });
      await killedAt;
      killed = true;
      server.signal('SIGKILL');
      assert.equal(await server.exited, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200)); // let the clients' last requests fail
    }

    // Restart on the same file (through the real server), then read everything directly.
    const server = await startServer(['--db', db, '--workers', '1']);
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    server.signal('SIGTERM');
    assert.equal(await server.exited, 0);

    const store = new SqliteHistoryStore(db);
    t.after(() => store.close());
    const rows = new Map<number, string>();
    let after = 0;
    for (;;) {
      const page = await store.rowsAfter(after, 5000);
      if (page.length === 0) break;
      for (const r of page) rows.set(r.id, r.text);
      after = page.at(-1)!.id;
    }
    let missing = 0;
    for (const [id, text] of acked) if (rows.get(id) !== text) missing++;
    t.diagnostic(`acknowledged ${acked.size} writes over ${ROUNDS} SIGKILLs; ${rows.size} rows stored; ${failedAfterKill} requests failed at the kills; missing ${missing}`);
    assert.ok(acked.size >= ROUNDS * KILL_AFTER_ACKS);
    assert.equal(missing, 0);
  });
}
