// Slow clients: clients that never read their answers — live streams and big history pages —
// while large texts are posted. What must hold: server memory stays bounded (a stream that falls
// behind is dropped, a response that makes no progress is cut after the stall timeout), no worker
// dies, every POST is answered.
//
//   npm run build && node dist/bench/slow-clients.js [--streams 40] [--pages 60] [--post-seconds 20] [--root <other checkout>]
//
// Loopback only, bounded (--post-seconds of posting, then a wait for the stall timeout). `--root`
// runs another checkout's build (e.g. a worktree of the commit before the fixes) with the same
// load, for the "before" figure. Results: bench/results/slow-clients.md.
//
// test/slow-clients.test.ts runs the same attack (exported below) with its bounds asserted.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CleanupStack } from '../src/lab/cleanup.js';
import { processTree } from '../src/lab/proc.js';
import { serve } from '../src/lab/serve.js';

/** Resident memory of a process and all its descendants (VmRSS summed), MiB. */
export function treeRssMiB(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) {
    try {
      kb += Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

export interface AttackOptions {
  url: string;
  /** The server's primary process: memory is summed over it and its workers. */
  serverPid: number;
  /** Rows seeded before the attack, and their size (characters). */
  seedRows: number;
  textChars: number;
  /** Clients that open GET /history/stream and never read. */
  streams: number;
  /** Clients that send GET /history?limit=<pageLimit> and never read. */
  pages: number;
  pageLimit: number;
  /** Concurrent posters of textChars-long texts, for postMs. */
  posters: number;
  postMs: number;
  /** After posting: wait this long (from the attack's start) before reading what the non-readers got. */
  settleMs: number;
  log?: (line: string) => void;
}

export interface AttackResult {
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssEndMiB: number;
  posts: { sent: number; ok: number; statuses: Record<string, number>; p50Ms: number; p99Ms: number; maxMs: number; perSecond: number };
  streams: { accepted: number; refused: Record<string, number>; closedByServer: number };
  pages: { ok: number; cutByServer: number; completed: number };
  workerPidsBefore: number[];
  workerPidsAfter: number[];
}

function text(i: number, chars: number): string {
  const words = `row ${i}: a good and happy day, then a terrible, sad and awful night; `;
  return words.repeat(Math.ceil(chars / words.length)).slice(0, chars);
}

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** A raw HTTP client that sends one GET, reads the status line, then stops reading. */
class NonReader {
  status = 0;
  headers = '';
  received = 0;
  closed = false;
  private readonly socket: Socket;
  private head = '';
  readonly ready: Promise<void>;
  constructor(url: URL, path: string) {
    this.socket = connect(Number(url.port), url.hostname);
    this.socket.on('error', () => {});
    this.socket.on('close', () => (this.closed = true));
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: */*\r\n\r\n`);
    this.ready = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        this.received += chunk.length;
        if (this.status === 0) {
          this.head += chunk.toString('latin1');
          const end = this.head.indexOf('\r\n\r\n');
          if (end < 0) return;
          this.headers = this.head.slice(0, end);
          this.received = this.head.length - end - 4;
          this.status = Number(/^HTTP\/1\.1 (\d+)/.exec(this.headers)?.[1] ?? -1);
          this.socket.pause(); // from here on, never read
          resolve();
        }
      };
      this.socket.on('data', onData);
      this.socket.on('close', () => resolve());
    });
  }
  get contentLength(): number | undefined {
    const m = /^content-length:\s*(\d+)/im.exec(this.headers);
    return m ? Number(m[1]) : undefined;
  }
  /** Reads what the kernel holds; resolves once the server has closed the connection or after ms. */
  async drain(ms: number): Promise<void> {
    if (!this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        this.socket.resume();
      });
    }
  }
  destroy() {
    this.socket.destroy();
  }
}

export async function attack(o: AttackOptions): Promise<AttackResult> {
  const log = o.log ?? (() => {});
  const url = new URL(o.url);
  const post = (t: string) => fetch(`${o.url}/analyze`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: t }) });

  // Seed: rows of textChars characters, so a page of pageLimit rows is large.
  let seeded = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (seeded < o.seedRows) {
        const res = await post(text(seeded++, o.textChars));
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`seeding: ${res.status}`);
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 500));
  const workerPidsBefore = processTree(o.serverPid)
    .filter((p) => p !== o.serverPid)
    .sort();
  const rssBeforeMiB = treeRssMiB(o.serverPid);
  log(`seeded ${o.seedRows} rows of ${o.textChars} characters; server RSS ${rssBeforeMiB.toFixed(0)} MiB`);

  let rssPeakMiB = rssBeforeMiB;
  const sampler = setInterval(() => (rssPeakMiB = Math.max(rssPeakMiB, treeRssMiB(o.serverPid))), 100);
  const started = Date.now();
  try {
    const streams = Array.from({ length: o.streams }, () => new NonReader(url, '/history/stream'));
    const pages = Array.from({ length: o.pages }, () => new NonReader(url, `/history?limit=${o.pageLimit}`));
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let sent = 0;
    let n = 0;
    const until = Date.now() + o.postMs;
    await Promise.all(
      Array.from({ length: o.posters }, async () => {
        while (Date.now() < until) {
          const t0 = performance.now();
          sent++;
          let status: string;
          try {
            const res = await post(text(1_000_000 + n++, o.textChars));
            await res.arrayBuffer();
            status = String(res.status);
          } catch (err) {
            status = `error: ${(err as Error).message}`;
          }
          latencies.push(performance.now() - t0);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }),
    );
    const postSeconds = (Date.now() - started) / 1000;
    await Promise.all([...streams, ...pages].map((c) => Promise.race([c.ready, new Promise((r) => setTimeout(r, 5000))])));
    log(`posted ${sent} texts in ${postSeconds.toFixed(1)} s; peak RSS so far ${rssPeakMiB.toFixed(0)} MiB`);

    // Let the stall timeout act on whatever is still stuck, then read what each non-reader got.
    const wait = o.settleMs - (Date.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const rssEndMiB = treeRssMiB(o.serverPid);
    await Promise.all([...streams, ...pages].map((c) => c.drain(3000)));
    const refused: Record<string, number> = {};
    for (const s of streams) if (s.status !== 200) refused[s.status] = (refused[s.status] ?? 0) + 1;
    const accepted = streams.filter((s) => s.status === 200);
    const okPages = pages.filter((p) => p.status === 200);
    const completed = okPages.filter((p) => p.contentLength !== undefined && p.received >= p.contentLength).length;
    for (const c of [...streams, ...pages]) c.destroy();
    latencies.sort((a, b) => a - b);
    return {
      rssBeforeMiB,
      rssPeakMiB,
      rssEndMiB,
      posts: {
        sent,
        ok: statuses['200'] ?? 0,
        statuses,
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
        maxMs: latencies.at(-1) ?? NaN,
        perSecond: sent / postSeconds,
      },
      streams: { accepted: accepted.length, refused, closedByServer: accepted.filter((s) => s.closed).length },
      pages: { ok: okPages.length, cutByServer: okPages.filter((p) => p.closed && !(p.contentLength !== undefined && p.received >= p.contentLength)).length, completed },
      workerPidsBefore,
      workerPidsAfter: processTree(o.serverPid)
        .filter((p) => p !== o.serverPid)
        .sort(),
    };
  } finally {
    clearInterval(sampler);
  }
}

async function main(): Promise<void> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const { values } = parseArgs({
    options: {
      streams: { type: 'string', default: '40' },
      pages: { type: 'string', default: '60' },
      'post-seconds': { type: 'string', default: '20' },
      posters: { type: 'string', default: '8' },
      root: { type: 'string', default: root },
      label: { type: 'string', default: 'this checkout' },
      out: { type: 'string' },
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'polarity-slow-'));
  const stack = new CleanupStack((l) => console.error(l));
  const server = await serve(stack, { root: values.root!, args: ['--workers', '2', '--db', join(dir, 'h.db')], detached: true, home: dir });
  const url = server.url;
  try {
    const r = await attack({
      url,
      serverPid: server.pid,
      seedRows: 1000,
      textChars: 20_000,
      streams: Number(values.streams),
      pages: Number(values.pages),
      pageLimit: 1000,
      posters: Number(values.posters),
      postMs: Number(values['post-seconds']) * 1000,
      settleMs: Number(values['post-seconds']) * 1000 + 45_000,
      log: (line) => console.log(line),
    });
    const output = server.output();
    const died = Math.max(r.workerPidsBefore.filter((p) => !r.workerPidsAfter.includes(p)).length, (output.match(/exited unexpectedly/g) ?? []).length);
    const row = `| ${values.label} | ${r.rssBeforeMiB.toFixed(0)} | **${r.rssPeakMiB.toFixed(0)}** | ${r.rssEndMiB.toFixed(0)} | ${r.posts.sent} (${Object.entries(r.posts.statuses)
      .map(([s, c]) => `${s}: ${c}`)
      .join(
        ', ',
      )}) | ${r.posts.p50Ms.toFixed(0)} / ${r.posts.p99Ms.toFixed(0)} / ${r.posts.maxMs.toFixed(0)} | ${r.streams.accepted} (${r.streams.closedByServer} closed by the server; refused ${JSON.stringify(r.streams.refused)}) | ${r.pages.ok} (${r.pages.cutByServer} cut, ${r.pages.completed} complete) | ${died} |`;
    console.log(JSON.stringify(r, null, 2));
    console.log(`\n${new Date().toISOString()} ${cpus().length} × ${cpus()[0]?.model}\n${row}`);
    if (values.out) writeFileSync(values.out, JSON.stringify({ label: values.label, date: new Date().toISOString(), cpu: cpus()[0]?.model, ...r, output: output.slice(-4000) }, null, 2));
  } finally {
    await stack.unwind();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
