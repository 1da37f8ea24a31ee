// The group-commit queue both stores use (src/store/group-commit.ts), with fake writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadlineError, GroupCommitQueue } from '../src/store/group-commit.js';

const turn = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const settled = (p: Promise<unknown>) =>
  p.then(
    (v) => ({ ok: true as const, v }),
    (err: unknown) => ({ ok: false as const, err: err as Error }),
  );

test('the inserts of one turn are one write; each caller gets its own rows', async () => {
  const writes: number[][] = [];
  const q = new GroupCommitQueue<number, string>({ write: (rows) => (writes.push([...rows]), rows.map((r) => `#${r}`)), maxPending: 100, stallMs: 1000, stallMessage: 'stalled' });
  const [a, b, c] = await Promise.all([q.add([1]), q.add([2, 3]), q.add([4])]);
  assert.deepEqual([a, b, c], [['#1'], ['#2', '#3'], ['#4']]);
  assert.deepEqual(writes, [[1, 2, 3, 4]]);
  assert.deepEqual(await q.add([]), []);
  assert.equal(writes.length, 1, 'an empty insert writes nothing');
});

test('past maxPending rows an insert fails at once; a failed write fails its callers only', async () => {
  let fail = true;
  const q = new GroupCommitQueue<number, number>({
    write: (rows) => {
      if (fail) throw new Error('disk full');
      return [...rows];
    },
    maxPending: 3,
    stallMs: 1000,
    stallMessage: 'stalled',
  });
  const first = settled(q.add([1, 2]));
  const over = await settled(q.add([3, 4]));
  assert.equal(over.ok, false);
  assert.match(!over.ok ? over.err.message : '', /more than 3 rows/);
  const r = await first;
  assert.equal(!r.ok && r.err.message, 'disk full');
  fail = false;
  assert.deepEqual(await q.add([5, 6, 7]), [5, 6, 7], 'the bound counts only rows not yet written');
});

test('a busy write is retried on later turns, inserts arriving meanwhile join it; stalls fail fast; retries end', async () => {
  let busyUntil = Date.now() + 60;
  const writes: number[][] = [];
  const busy = new Error('busy');
  const q = new GroupCommitQueue<number, number>({
    write: (rows) => {
      if (Date.now() < busyUntil) throw busy;
      writes.push([...rows]);
      return [...rows];
    },
    maxPending: 100,
    stallMs: 30,
    stallMessage: 'stalled',
    retry: { when: (e) => e === busy, forMs: 200, immediate: 3, failure: new Error('gave up') },
  });
  const a = q.add([1]);
  await sleep(10);
  const b = q.add([2]); // before the stall bound: joins the retried batch
  await sleep(30);
  assert.equal(q.stalled(), true);
  const refused = await settled(q.add([3]));
  assert.equal(!refused.ok && refused.err.message, 'stalled');
  assert.deepEqual(await Promise.all([a, b]), [[1], [2]]);
  assert.deepEqual(writes, [[1, 2]]);
  assert.equal(q.stalled(), false);

  busyUntil = Date.now() + 10_000;
  const given = await settled(q.add([4]));
  assert.equal(!given.ok && given.err.message, 'gave up');
});

test('deadlines answer every insert in time; a queued one leaves the queue; several writes in flight', async () => {
  const started: number[][] = [];
  const release: (() => void)[] = [];
  const q = new GroupCommitQueue<number, number>({
    write: (rows) => {
      started.push([...rows]);
      return new Promise((resolve) => release.push(() => resolve([...rows])));
    },
    maxPending: 100,
    stallMs: 10_000,
    stallMessage: 'stalled',
    maxInFlight: 2,
    deadlineMs: 50,
  });
  const results = [settled(q.add([1]))];
  await turn();
  results.push(settled(q.add([2])));
  await turn();
  results.push(settled(q.add([3]))); // queued: two writes are in flight
  await turn();
  assert.deepEqual(started, [[1], [2]]);
  const all = await Promise.all(results);
  for (const r of all) assert.ok(!r.ok && r.err instanceof DeadlineError);
  release.splice(0).forEach((f) => f()); // the two in flight commit late: nobody is answered twice
  await turn();
  assert.deepEqual(started, [[1], [2]], 'the expired queued insert was never written');
  const fourth = q.add([4]);
  await turn();
  release.splice(0).forEach((f) => f());
  assert.deepEqual(await fourth, [4], 'the queue goes on after the late commits');
});

test('close() refuses new inserts and waits for the accepted ones', async () => {
  let release: (() => void) | undefined;
  const q = new GroupCommitQueue<number, number>({
    write: (rows) => new Promise((resolve) => (release = () => resolve([...rows]))),
    maxPending: 100,
    stallMs: 1000,
    stallMessage: 'stalled',
  });
  const accepted = q.add([1]);
  let closed = false;
  const closing = q.close().then(() => (closed = true));
  const late = await settled(q.add([2]));
  assert.equal(!late.ok && late.err.message, 'store is closed');
  await turn();
  assert.equal(closed, false);
  release!();
  assert.deepEqual(await accepted, [1]);
  await closing;
  assert.equal(closed, true);
  await q.close(); // again: at once
});
