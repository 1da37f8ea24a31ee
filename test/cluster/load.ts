// A small closed-loop load client for the cluster tests: the seed's mix (1 POST /analyze : 2 GET
// /history) over keep-alive connections, bounded in time and count, recording every outcome.
// It only ever talks to the URL it is given (the cluster's namespaces).
// Why not the product's load tester (src/loadtest): the cluster tests check each request's own
// outcome — the id a POST was stored under and its text (to find it in PostgreSQL after a crash),
// the problem code, Retry-After and Content-Type of a refusal, an Idempotency-Key per request —
// and the load tester reports aggregates by design (Locust's statistics), not per-request records.
import { Agent, request } from 'node:http';

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

/** Runs the seed's mix against `baseUrl` until stop() or a bound is reached. */
export class Load {
  private readonly outcomes: Outcome[] = [];
  private readonly agent: Agent;
  private readonly base: URL;
  private stopped = false;
  private sent = 0;
  private readonly running: Promise<void>;

  constructor(
    baseUrl: string,
    private readonly options: LoadOptions,
  ) {
    this.base = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    const deadline = performance.now() + options.maxMs;
    const loop = async () => {
      while (!this.stopped && performance.now() < deadline && this.sent < options.maxRequests) {
        await this.one(this.sent++);
      }
    };
    this.running = Promise.all(Array.from({ length: options.concurrency }, loop)).then(() => undefined);
  }

  /** Outcomes so far (the array grows while the load runs). */
  get results(): readonly Outcome[] {
    return this.outcomes;
  }

  private async one(n: number): Promise<void> {
    const timeout = this.options.requestTimeoutMs ?? 15_000;
    const start = performance.now();
    if (n % 3 === 0) {
      const text = `${this.options.tag} ${n}`;
      const r = await send(this.agent, this.base, 'POST', '/analyze', JSON.stringify({ text }), timeout);
      let id: number | undefined;
      let code: string | undefined;
      try {
        const parsed = JSON.parse(r.body) as { id?: number; code?: string };
        id = r.status === 200 ? parsed.id : undefined;
        code = parsed.code;
      } catch {
        // not JSON: leave id/code unset
      }
      this.outcomes.push({ kind: 'post', status: r.status, start, ms: performance.now() - start, text, ...extra(r), ...(id === undefined ? {} : { id }), ...(code === undefined ? {} : { code }) });
    } else {
      const r = await send(this.agent, this.base, 'GET', '/history?limit=20', undefined, timeout);
      let status = r.status;
      let code: string | undefined;
      try {
        const parsed = JSON.parse(r.body) as unknown;
        if (status === 200 && !Array.isArray(parsed)) status = -1; // a 200 that is not the history would be a bug
        if (!Array.isArray(parsed)) code = (parsed as { code?: string }).code;
      } catch {
        if (status === 200) status = -1;
      }
      this.outcomes.push({ kind: 'get', status, start, ms: performance.now() - start, ...extra(r), ...(code === undefined ? {} : { code }) });
    }
  }

  /** Waits until a bound is reached (maxMs or maxRequests), returns every outcome. */
  async finished(): Promise<Outcome[]> {
    await this.running;
    this.agent.destroy();
    return this.outcomes;
  }

  /** Stops sending, waits for the requests in flight, returns every outcome. */
  async stop(): Promise<Outcome[]> {
    this.stopped = true;
    await this.running;
    this.agent.destroy();
    return this.outcomes;
  }
}

function extra(r: { headers: Record<string, string | string[] | undefined>; error?: string }): Partial<Outcome> {
  const out: { retryAfter?: string; contentType?: string; error?: string } = {};
  const ra = r.headers['retry-after'];
  if (typeof ra === 'string') out.retryAfter = ra;
  const ct = r.headers['content-type'];
  if (typeof ct === 'string') out.contentType = ct;
  if (r.error !== undefined) out.error = r.error;
  return out;
}
