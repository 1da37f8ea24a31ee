// Two `polarity serve` processes ("hosts") on one PostgreSQL history: what one acknowledges the
// other shows at once, live streams carry the other's rows, and the same API holds.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { startServer } from './process-helpers.js';
import { PG_URL, pgAvailable, pgSchema } from './pg-helpers.js';

const skip = await pgAvailable();

test('two hosts on one PostgreSQL history: read-your-writes across hosts, live rows from the other host', { skip, timeout: 60_000 }, async (t) => {
  const { schema, drop } = await pgSchema();
  t.after(drop);
  const url = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const a = await startServer(['--workers', '1'], { DATABASE_URL: url });
  t.after(() => a.signal('SIGKILL'));
  const b = await startServer(['--workers', '2'], { DATABASE_URL: url });
  t.after(() => b.signal('SIGKILL'));
  assert.match(a.output(), /history in PostgreSQL postgres:/);

  // A live stream on host B.
  const events: string[] = [];
  const stream = request(`${b.url}/history/stream`);
  stream.on('response', (res) => {
    res.setEncoding('utf8').on('data', (d: string) => {
      for (const m of d.matchAll(/^data: (.*)$/gm)) events.push(JSON.parse(m[1]!).text);
    });
  });
  stream.end();
  t.after(() => stream.destroy());
  await new Promise((r) => setTimeout(r, 300));

  // Every write acknowledged by A is in B's very next /history, and the other way round.
  const post = async (host: string, text: string) => {
    const res = await fetch(`${host}/analyze`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
    assert.equal(res.status, 200);
    return (await res.json()) as { id: number; sentiment: number };
  };
  const sent: string[] = [];
  for (let i = 0; i < 20; i++) {
    const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
    const text = `host test ${i} nul\u0000 😀 good`;
    const { id } = await post(writer.url, text);
    sent.push(text);
    const newest = (await (await fetch(`${reader.url}/history?limit=1`)).json()) as { id: number; text: string }[];
    assert.equal(newest[0]!.id, id, `row ${i} visible on the other host at once`);
    assert.equal(newest[0]!.text, text, 'NUL and emoji come back unchanged from PostgreSQL');
  }
  // Concurrent writes through both hosts: ids strictly increase in commit order, none lost.
  const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => post(i % 2 ? a.url : b.url, `burst ${i}`)));
  const ids = new Set(burst.map((r) => r.id));
  assert.equal(ids.size, 100);
  const all = (await (await fetch(`${a.url}/history?limit=1000`)).json()) as { id: number; text: string }[];
  assert.equal(all.length, 120);
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.id > all[i]!.id);

  const until = Date.now() + 5000;
  while (events.length < 120 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.equal(events.length, 120, 'host B streamed every row, including those written through A');
  assert.deepEqual(events.slice(0, 20), sent);

  a.signal('SIGTERM');
  b.signal('SIGTERM');
  assert.equal(await a.exited, 0);
  assert.equal(await b.exited, 0);
});
