// Clients that never read: server memory stays bounded, no worker dies, every POST is answered.
// Loopback only, bounded in time (~3 min in all). The attack itself is bench/slow-clients.ts's, which also
// records the figures (bench/results/slow-clients.md).
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { attack } from '../bench/slow-clients.js';
import { STALL_TIMEOUT_MS } from '../src/http/app.js';
import { MAX_STREAMS_PER_ADDRESS } from '../src/http/routes/history-stream.js';
import { makeApp, tempDir } from './helpers.js';
import { startServer } from './process-helpers.js';

const RSS_BOUND_MIB = 900;

describe('slow clients', () => {
  /** The attack of the outside review, with our bounds asserted. */
  async function holds(t: TestContext, streams: number, pages: number) {
    const server = await startServer(['--db', join(tempDir(t), 'h.db'), '--workers', '2']);
    t.after(() => server.signal('SIGKILL'));
    const r = await attack({
      url: server.url.replace('localhost', '127.0.0.1'),
      serverPid: server.child.pid!,
      seedRows: 1000,
      textChars: 20_000,
      streams,
      pages,
      pageLimit: 1000,
      posters: 8,
      postMs: 15_000,
      settleMs: 0,
    });
    const report = JSON.stringify({ ...r, output: server.output().slice(-2000) }, null, 1);
    t.diagnostic(
      `RSS ${r.rssBeforeMiB.toFixed(0)} → peak ${r.rssPeakMiB.toFixed(0)} MiB; ${r.posts.sent} POSTs, p99 ${r.posts.p99Ms.toFixed(0)} ms; streams ${r.streams.accepted} accepted, ${r.streams.closedByServer} cut`,
    );
    assert.ok(r.rssPeakMiB < RSS_BOUND_MIB, `peak RSS ${r.rssPeakMiB.toFixed(0)} MiB: ${report}`);
    assert.deepEqual(r.workerPidsAfter, r.workerPidsBefore, `no worker died: ${report}`);
    assert.doesNotMatch(server.output(), /exited unexpectedly/);
    assert.ok(r.posts.sent > 0);
    assert.equal(r.posts.ok, r.posts.sent, `every POST answered 200: ${report}`);
    // Every stream was accepted or refused by the per-address cap (the clients share 127.0.0.1), and
    // the accepted ones, which cannot keep up with 15 s of rows they do not read, were cut.
    assert.equal(r.streams.accepted + (r.streams.refused['429'] ?? 0), streams, report);
    assert.ok(r.streams.accepted >= Math.min(streams, MAX_STREAMS_PER_ADDRESS), report);
    assert.equal(r.streams.closedByServer, r.streams.accepted, report);
  }

  test(`100 live streams that never read while large texts are posted: server RSS under ${RSS_BOUND_MIB} MiB, no worker dies, every POST answered`, { timeout: 120_000 }, async (t) => {
    await holds(t, 100, 0);
  });

  // The outside review's attack (4,847 MiB before). The pages' part is held by the stores' 1 MiB
  // page budget; the streams' by the feed's queue bound, on its own.
  test(`40 live streams and 60 GET /history?limit=1000 of 20,000-character rows that never read, while large texts are posted: the same bounds`, { timeout: 120_000 }, async (t) => {
    await holds(t, 40, 60);
  });

  test(`a response the client does not read is cut once its writes make no progress (${STALL_TIMEOUT_MS / 1000}–${(2 * STALL_TIMEOUT_MS) / 1000} s); idle keep-alive is unchanged`, {
    timeout: 90_000,
  }, async (t) => {
    const { app } = await makeApp(t);
    // A large answer: more than the kernel buffers for one loopback connection (~4 MB measured).
    // History pages are bounded to 1 MiB now, so the test brings its own.
    const big = 'x'.repeat(8 * 1024 * 1024);
    app.get('/test/big', async (_request, reply) => reply.type('text/plain').send(big));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const readers = Array.from({ length: 3 }, () => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.write('GET /test/big HTTP/1.1\r\nHost: x\r\n\r\n');
      s.pause(); // never read (until the end of the test)
      return s;
    });
    // An idle keep-alive connection: its timeout stays keepAliveTimeout (72 s), not the stall timeout.
    const idle = connect(port, '127.0.0.1');
    let idleAnswer = '';
    idle.setEncoding('utf8').on('data', (d: string) => (idleAnswer += d));
    idle.write('GET /livez HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 2 * STALL_TIMEOUT_MS + 3_000));
    const open = await new Promise<number>((resolve, reject) => app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    assert.equal(open, 1, 'only the idle keep-alive connection is left on the server');
    // Read what the kernel kept for each: the server, having cut the response, sent no more.
    const outcomes = await Promise.all(
      readers.map(
        (s) =>
          new Promise<{ body: number; length: number; closed: boolean }>((resolve) => {
            let head = '';
            let bytes = 0;
            s.on('data', (d: Buffer) => {
              bytes += d.length;
              if (head.length < 2000) head += d.toString('latin1');
            });
            const finish = (closed: boolean) => () => {
              const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
              resolve({ body: bytes - (head.indexOf('\r\n\r\n') + 4), length, closed });
            };
            s.once('close', finish(true));
            setTimeout(finish(false), 3000);
            s.resume();
          }),
      ),
    );
    for (const o of outcomes) assert.ok(o.closed && o.body < o.length, `cut by the server: ${JSON.stringify(o)}`);
    assert.match(idleAnswer, /^HTTP\/1\.1 200 OK/);
    assert.equal(idle.destroyed, false, 'the idle keep-alive connection is still open');
    for (const s of [...readers, idle]) s.destroy();
  });

  test("a request arriving while the app closes gets a 503 problem document, not Fastify's plain JSON", async (t) => {
    const { app } = await makeApp(t);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    // A connection with half a request is not idle, so close() waits for it.
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /history HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setTimeout(r, 50));
    const closed = app.close();
    await new Promise((r) => setTimeout(r, 50));
    let answer = '';
    socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
    socket.write('\r\n');
    await new Promise((r) => socket.once('close', r));
    await closed;
    assert.match(answer, /^HTTP\/1\.1 503 /);
    assert.match(answer, /content-type: application\/problem\+json/i);
    assert.match(answer, /retry-after: 1/i);
    assert.match(answer, /"code":"store-unavailable"/);
    assert.match(answer, /shutting down/);
  });
});
