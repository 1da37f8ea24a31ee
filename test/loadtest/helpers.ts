// What the tests of the newer load-tester features share: a small local server that can stall or
// fail, a stream that keeps what is written, and a report built from request logs without a run.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { buildReport, type RunParameters, type RunReport } from '../../src/loadtest/report.js';
import { realClock } from '../../src/loadtest/runner.js';
import { loadScenario } from '../../src/loadtest/scenario.js';
import { RequestStats } from '../../src/loadtest/stats.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string, n: number) => void;

/** A server on 127.0.0.1 answering 200 {"sentiment":0.5} (or what `handler` does); bodies and counts kept. */
export async function stubServer(t: TestContext, handler?: Handler) {
  const bodies: string[] = [];
  let requests = 0;
  const server: Server = createServer((req, res) => {
    const n = ++requests;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST') bodies.push(body);
      if (handler) handler(req, res, body, n);
      else res.writeHead(200, { 'content-type': 'application/json', 'content-length': 17 }).end('{"sentiment":0.5}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, requests: () => requests, server };
}

export function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

export interface LoggedRequest {
  method: string;
  name: string;
  ms: number;
  /** seconds after the start */
  at: number;
  error?: string;
  bytes?: number;
}

/** A report as a run would build it from these request logs (no sockets, no timers). */
export function reportFromLogs(logs: readonly LoggedRequest[], startTime = 1_800_000_000, over: Partial<RunParameters> = {}): RunReport {
  const stats = new RequestStats(startTime);
  for (const l of logs) {
    const now = startTime + l.at;
    stats.logRequest(stats.entry(l.method, l.name, startTime), l.ms, l.bytes ?? 17, now, l.error ?? null);
  }
  const view = { stats, clock: realClock, userCount: 0, peakUsers: 1, stopReason: 'duration' as const, endedWall: startTime + 10, elapsed: () => 10 };
  const parameters: RunParameters = {
    host: 'http://127.0.0.1:1',
    users: 1,
    spawnRate: 1,
    durationS: 10,
    timeoutS: 60,
    stopTimeoutS: 10,
    maxRequests: null,
    mode: 'users',
    seed: 1,
    scenario: loadScenario('seed'),
    ...over,
  };
  const lg = { cpuUserS: 1, cpuSystemS: 0.5, cpuPercent: 15, eventLoopDelayMs: { p50: 0, p99: 1, max: 2 }, eventLoopDelayAfterRampMs: null, requestsSent: logs.length, abandoned: 0 };
  return buildReport(view, parameters, [], lg);
}
