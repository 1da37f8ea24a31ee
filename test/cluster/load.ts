// A closed-loop load for the cluster tests: the seed's mix (1 POST /analyze : 2 GET /history, in
// turn) over keep-alive connections, bounded in time and count, recording every outcome. It is the
// product's load tester (runLoad, --max: no think time) with its per-request hooks: each POST
// posts a unique text, and each response hands back its status, the id a POST was stored under,
// the problem code, Retry-After and Content-Type — what the tests check request by request (to
// find an acknowledged text in PostgreSQL after a crash), beside the aggregates a run reports.
// It only ever talks to the URL it is given (the cluster's namespaces).
import { type Agent, request } from 'node:http';
import type { ResponseRecord } from '../../src/loadtest/runner.js';
import { runLoad } from '../../src/loadtest/run.js';
import { parseScenario } from '../../src/loadtest/scenario.js';

export interface Outcome {
  readonly kind: 'post' | 'get';
  /** HTTP status, or 0 when no answer came (connection error, timeout). */
  readonly status: number;
  /** When the request started and how long it took, ms (performance.now() clock). */
  readonly start: number;
  readonly ms: number;
  /** POST: the text sent (unique per request) and, on 200, the id it was stored under. */
  readonly text?: string;
  readonly id?: number;
  /** Non-200: the problem document's code, the Retry-After header, or the socket error. */
  readonly code?: string;
  readonly retryAfter?: string;
  readonly contentType?: string;
  readonly error?: string;
}

export interface LoadOptions {
  readonly concurrency: number;
  /** Hard bounds: the load stops by itself after this long or this many requests. */
  readonly maxMs: number;
  readonly maxRequests: number;
  /** Prefix of every posted text, so a test can find its own rows. */
  readonly tag: string;
  /** Per-request bound; a request still unanswered then counts as a failure. */
  readonly requestTimeoutMs?: number;
}

export interface Summary {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly posts: number;
  readonly acknowledged: number;
  readonly byStatus: Record<string, number>;
}

export function summarize(outcomes: readonly Outcome[]): Summary {
  const byStatus: Record<string, number> = {};
  for (const o of outcomes) {
    const key = `${o.kind} ${o.status === 0 ? 'no answer' : o.status}`;
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  const ok = outcomes.filter((o) => o.status === 200).length;
  return {
    sent: outcomes.length,
    ok,
    failed: outcomes.length - ok,
    posts: outcomes.filter((o) => o.kind === 'post').length,
    acknowledged: outcomes.filter((o) => o.kind === 'post' && o.status === 200).length,
    byStatus,
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Sends one request; never throws. */
export function send(
  agent: Agent,
  base: URL,
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
  timeoutMs: number,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined>; error?: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: { status: number; body: string; headers: Record<string, string | string[] | undefined>; error?: string }) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(v);
      }
    };
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port || 80,
        method,
        path,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }), ...extraHeaders },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (data += d));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
        res.on('error', (err) => done({ status: 0, body: data, headers: {}, error: err.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => done({ status: 0, body: '', headers: {}, error: err.message }));
    req.end(body);
  });
}

/** 1 POST : 2 GET; the POST's body is each request's own (see Load). */
const MIX = parseScenario(
  {
    name: 'cluster mix',
    wait: { min: 0, max: 0 },
    tasks: [
      { method: 'POST', path: '/analyze', json: { text: '' }, weight: 1 },
      { method: 'GET', path: '/history?limit=20', weight: 2 },
    ],
  },
  'cluster mix',
);

/** Runs the seed's mix against `baseUrl` until stop() or a bound is reached. */
export class Load {
  private readonly outcomes: Outcome[] = [];
  /** settles when the run is over; holds its error (a host that does not resolve) rather than rejecting unhandled */
  private readonly running: Promise<unknown>;
  private stopRunner: (() => void) | null = null;
  private stopped = false;

  constructor(baseUrl: string, options: LoadOptions) {
    const timeoutS = (options.requestTimeoutMs ?? 15_000) / 1000;
    this.running = runLoad(
      {
        host: baseUrl,
        scenario: MIX,
        users: options.concurrency,
        spawnRate: options.concurrency,
        durationS: options.maxMs / 1000,
        timeoutS,
        // Requests in flight at the end finish or time out (the sweep runs every 250 ms): none is dropped unrecorded.
        stopTimeoutS: timeoutS + 2,
        maxRequests: options.maxRequests,
        mode: 'max',
        seed: 1,
        // The run's n-th request is a POST when n % 3 == 0: 600 requests are exactly 200 POSTs.
        taskOrder: 'cycle',
      },
      {
        progress: null,
        handleSignals: false,
        onRunner: (r) => {
          this.stopRunner = () => r.stop('interrupted');
          if (this.stopped) this.stopRunner();
        },
        requests: {
          customize: (task) => (task.method === 'POST' ? (n) => this.post(n, options.tag) : null),
          onResponse: (r) => this.outcomes.push(outcome(r)),
          keepHeaders: ['retry-after', 'content-type'],
          keepBody: true,
        },
      },
    ).then(
      () => null,
      (err: unknown) => err,
    );
  }

  /** Outcomes so far (the array grows while the load runs). */
  get results(): readonly Outcome[] {
    return this.outcomes;
  }

  private post(n: number, tag: string): { body: string; tag: string } {
    const text = `${tag} ${n}`;
    return { body: JSON.stringify({ text }), tag: text };
  }

  /** Waits until a bound is reached (maxMs or maxRequests), returns every outcome. */
  async finished(): Promise<Outcome[]> {
    const err = await this.running;
    if (err !== null) throw err;
    return this.outcomes;
  }

  /** Stops sending, waits for the requests in flight, returns every outcome. */
  async stop(): Promise<Outcome[]> {
    this.stopped = true;
    this.stopRunner?.();
    return this.finished();
  }
}

/** One request's outcome from the load tester's record of it. */
function outcome(r: ResponseRecord): Outcome {
  const timing = { start: r.sentAt, ms: r.responseTimeMs };
  const extra = {
    ...(r.headers?.['retry-after'] === undefined ? {} : { retryAfter: r.headers['retry-after'] }),
    ...(r.headers?.['content-type'] === undefined ? {} : { contentType: r.headers['content-type'] }),
    ...(r.status === 0 && r.error !== null ? { error: r.error } : {}),
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.body ?? '');
  } catch {
    parsed = undefined; // not JSON
  }
  const code = isObject(parsed) && typeof parsed['code'] === 'string' ? { code: parsed['code'] } : {};
  if (r.request.spec.method === 'POST') {
    const id = r.status === 200 && isObject(parsed) && typeof parsed['id'] === 'number' ? { id: parsed['id'] } : {};
    return { kind: 'post', status: r.status, ...timing, text: r.request.tag as string, ...extra, ...id, ...code };
  }
  // A 200 that is not the history would be a bug.
  const status = r.status === 200 && !Array.isArray(parsed) ? -1 : r.status;
  return { kind: 'get', status, ...timing, ...extra, ...code };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
