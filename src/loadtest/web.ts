// --web [PORT]: a live page of the run, served by the load tester itself (node:http, 127.0.0.1 by
// default, nothing from a CDN): RPS, failures/s and per-endpoint p50/p95 as charts that grow every
// second, a live table per endpoint, a Stop button, and at the end the run's HTML report in the
// page. What Locust users see in its web UI, without a second tool.
//
// The page (GET /) loads /live.js, which follows GET /events (Server-Sent Events): a `snapshot`
// event each second (live.ts), then one `report` event with the final HTML report; the load tester
// waits up to `lingerMs` for open pages to receive it before closing the server.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LiveSnapshot } from './live.js';

export interface LivePage {
  readonly url: string;
  push(s: LiveSnapshot): void;
  /** Sends the final report to open pages, then closes (after at most lingerMs). */
  finish(reportHtml: string, lingerMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface LivePageOptions {
  port: number;
  host?: string;
  title: string;
  /** the Stop button */
  onStop?: () => void;
}

const HTML = (title: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; frame-src 'self'; img-src data:">
<title>${title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem; color: #1b1f24; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } .meta { color: #4a535e; margin: 0 0 1rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: .5rem; }
.figures div { border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem .75rem; } .figures b { display: block; font-size: 1.3rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 1rem; margin: 1rem 0; }
svg { width: 100%; height: auto; border: 1px solid #eaeef2; border-radius: 6px; background: #fff; }
svg text { font-size: 11px; fill: #4a535e; } svg .title { font-size: 13px; font-weight: 600; fill: #1b1f24; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; } th, td { border-bottom: 1px solid #d0d7de; padding: .3rem .5rem; text-align: right; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
.bad { color: #a40e26; } button { font: inherit; padding: .3rem .9rem; }
iframe { width: 100%; height: 80vh; border: 1px solid #d0d7de; border-radius: 6px; margin-top: 1rem; }
</style>
</head>
<body>
<h1>${title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)}</h1>
<p class="meta"><span id="state">running</span> · <span id="elapsed">0 s</span> <button id="stop" type="button">Stop</button></p>
<div class="figures">
<div>users / connections<b id="users">0</b></div>
<div>RPS (10-s window)<b id="rps">0</b></div>
<div>requests<b id="requests">0</b></div>
<div>failures<b id="failures">0</b></div>
<div>p50 / p95<b id="pct">– / –</b></div>
</div>
<div class="charts">
<svg id="chart-rps" viewBox="0 0 520 240" role="img" aria-label="requests and failures per second"></svg>
<svg id="chart-pct" viewBox="0 0 520 240" role="img" aria-label="p50 and p95 per endpoint"></svg>
</div>
<table id="endpoints"><thead><tr><th>Type</th><th>Name</th><th>requests</th><th>failures</th><th>RPS</th><th>failures/s</th><th>p50 ms</th><th>p95 ms</th></tr></thead><tbody></tbody></table>
<div id="final"></div>
<script src="/live.js"></script>
</body>
</html>
`;

// The page's script: plain DOM and SVG, no library.
const SCRIPT = `'use strict';
const PALETTE = ['#0969da', '#bc4c00', '#8250df', '#1a7f37', '#cf222e', '#6e7781', '#953800', '#0550ae'];
const series = { t: [], rps: [], fail: [], ep: new Map() };
const $ = (id) => document.getElementById(id);
const fmt = (x, d = 0) => x === null || x === undefined ? '–' : Number(x).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const NS = 'http://www.w3.org/2000/svg';
function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function chart(svg, title, xs, lines, unit) {
  svg.replaceChildren();
  const W = 520, H = 240, L = 52, R = 10, T = 28, B = 46;
  svg.append(el('text', { x: L, y: 16, class: 'title' }, title));
  const xmax = Math.max(1, ...xs);
  let ymax = 0;
  for (const l of lines) for (const v of l.values) if (v !== null && v > ymax) ymax = v;
  ymax = ymax > 0 ? ymax * 1.1 : 1;
  const X = (x) => L + (x / xmax) * (W - L - R), Y = (y) => H - B - (y / ymax) * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const y = (ymax * i) / 4;
    svg.append(el('line', { x1: L, x2: W - R, y1: Y(y), y2: Y(y), stroke: '#eaeef2' }));
    svg.append(el('text', { x: L - 4, y: Y(y) + 4, 'text-anchor': 'end' }, fmt(y, ymax < 10 ? 1 : 0)));
  }
  svg.append(el('text', { x: W - R, y: H - B + 16, 'text-anchor': 'end' }, fmt(xmax) + ' s'));
  svg.append(el('text', { x: W - R, y: 16, 'text-anchor': 'end' }, unit));
  lines.forEach((l, i) => {
    const pts = [];
    l.values.forEach((v, k) => { if (v !== null) pts.push(X(xs[k]).toFixed(1) + ',' + Y(v).toFixed(1)); });
    svg.append(el('polyline', { points: pts.join(' '), fill: 'none', stroke: l.color, 'stroke-width': 2, 'stroke-dasharray': l.dash || '', 'data-series': l.name }));
    const lx = L + 4 + (i % 3) * 155, ly = H - 18 + Math.floor(i / 3) * 13;
    svg.append(el('line', { x1: lx, x2: lx + 16, y1: ly - 4, y2: ly - 4, stroke: l.color, 'stroke-width': 2, 'stroke-dasharray': l.dash || '' }));
    svg.append(el('text', { x: lx + 20, y: ly }, l.name));
  });
}
function onSnapshot(s) {
  series.t.push(s.t); series.rps.push(s.total.rps); series.fail.push(s.total.failPerSec);
  for (const e of s.endpoints) {
    const k = e.method + ' ' + e.name;
    if (!series.ep.has(k)) series.ep.set(k, { p50: series.t.slice(0, -1).map(() => null), p95: series.t.slice(0, -1).map(() => null) });
  }
  for (const [k, v] of series.ep) {
    const e = s.endpoints.find((x) => x.method + ' ' + x.name === k);
    v.p50.push(e ? e.p50 : null); v.p95.push(e ? e.p95 : null);
  }
  $('elapsed').textContent = fmt(s.t) + ' s';
  $('users').textContent = fmt(s.users);
  $('rps').textContent = fmt(s.total.rps, 1);
  $('requests').textContent = fmt(s.total.requests);
  $('failures').textContent = fmt(s.total.failures) + ' (' + (s.total.requests ? (100 * s.total.failures / s.total.requests).toFixed(2) : '0.00') + '%)';
  $('failures').className = s.total.failures ? 'bad' : '';
  $('pct').textContent = fmt(s.total.p50) + ' / ' + fmt(s.total.p95) + ' ms';
  chart($('chart-rps'), 'Requests per second', series.t, [
    { name: 'RPS', color: '#1a7f37', values: series.rps },
    { name: 'failures/s', color: '#cf222e', values: series.fail },
  ], 'per second');
  const lines = [];
  let i = 0;
  for (const [k, v] of series.ep) {
    const color = PALETTE[i++ % PALETTE.length];
    lines.push({ name: k + ' p50', color, values: v.p50 }, { name: k + ' p95', color, dash: '5 3', values: v.p95 });
  }
  chart($('chart-pct'), 'Response times per endpoint (10-s window)', series.t, lines, 'ms');
  const body = $('endpoints').tBodies[0];
  body.replaceChildren(...[...s.endpoints, s.total].map((e) => {
    const tr = document.createElement('tr');
    for (const v of [e === s.total ? '' : e.method, e.name, fmt(e.requests), fmt(e.failures), fmt(e.rps, 1), fmt(e.failPerSec, 1), fmt(e.p50), fmt(e.p95)]) {
      const td = document.createElement('td'); td.textContent = v; tr.append(td);
    }
    return tr;
  }));
}
const events = new EventSource('/events');
events.addEventListener('snapshot', (ev) => onSnapshot(JSON.parse(ev.data)));
events.addEventListener('report', () => {
  events.close();
  $('state').textContent = 'finished';
  $('stop').disabled = true;
  const f = document.createElement('iframe');
  f.id = 'report'; f.title = 'final report'; f.src = '/report';
  $('final').replaceChildren(f);
});
$('stop').addEventListener('click', () => { fetch('/stop', { method: 'POST' }); $('stop').disabled = true; $('state').textContent = 'stopping'; });
`;

export async function startLivePage(opts: LivePageOptions): Promise<LivePage> {
  const clients = new Set<ServerResponse>();
  let last: LiveSnapshot | null = null;
  let report: string | null = null;
  const page = HTML(opts.title);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(body);
    };
    if (req.method === 'GET' && path === '/') return send(200, 'text/html; charset=utf-8', page);
    if (req.method === 'GET' && path === '/live.js') return send(200, 'text/javascript; charset=utf-8', SCRIPT);
    if (req.method === 'GET' && path === '/report') return report === null ? send(404, 'text/plain', 'the run is not over\n') : send(200, 'text/html; charset=utf-8', report);
    if (req.method === 'POST' && path === '/stop') {
      opts.onStop?.();
      return send(202, 'text/plain', 'stopping\n');
    }
    if (req.method === 'GET' && path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      if (report !== null) return void res.end('event: report\ndata: {}\n\n');
      if (last) res.write(`event: snapshot\ndata: ${JSON.stringify(last)}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    send(404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      for (const c of clients) c.end();
      clients.clear();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/`,
    push(s) {
      last = s;
      const msg = `event: snapshot\ndata: ${JSON.stringify(s)}\n\n`;
      for (const c of clients) c.write(msg);
    },
    async finish(html, lingerMs = 3000) {
      report = html;
      const open = clients.size;
      for (const c of clients) c.end('event: report\ndata: {}\n\n');
      clients.clear();
      // Pages open now fetch /report right away; give them the time to.
      const until = Date.now() + (open > 0 ? lingerMs : 0);
      let fetched = false;
      server.on('request', (req) => {
        if (req.url === '/report') fetched = true;
      });
      while (Date.now() < until && !fetched && server.listening) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, fetched ? 200 : 0));
      await close();
    },
    close,
  };
}
