// The topology as an SVG diagram: clients → load balancer → app hosts → database, each box with
// its VM type, size, monthly price and roles. Self-contained (no fonts or scripts to fetch).
import { int, usd } from './format.js';
import type { Evaluation, HostPlan } from './model.js';

const W = 960;
const BOX_W = 200;
const GAP = 24;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  title: string;
  lines: string[];
  kind: 'client' | 'vm' | 'managed';
}

function roleLines(h: HostPlan, store: string): string[] {
  const out: string[] = [];
  if (h.roles.includes('lb')) out.push('nginx load balancer');
  if (h.roles.includes('app')) out.push(`Polarity, ${h.workers} worker${h.workers > 1 ? 's' : ''}${store === 'sqlite' ? ' + SQLite' : ''}`);
  if (h.roles.includes('db')) out.push('PostgreSQL (the history)');
  if (h.share > 0 && h.share < 1) out.push(`${(h.share * 100).toFixed(0)}% of requests (weight ${h.weight})`);
  return out;
}

function hostBox(h: HostPlan, store: string, x: number, y: number): Box {
  const lines = [`${h.vm.vcpus} vCPU · ${(h.vm.memoryMiB / 1024).toFixed(h.vm.memoryMiB < 1024 ? 1 : 0)} GiB · ${usd(h.vm.monthlyUsd)}/mo`, ...roleLines(h, store)];
  return { x, y, w: BOX_W, h: 34 + lines.length * 17, title: `${h.name} — ${h.vm.id}`, lines, kind: 'vm' };
}

function row(boxes: Box[], y: number): number {
  const total = boxes.length * BOX_W + (boxes.length - 1) * GAP;
  let x = (W - total) / 2;
  let height = 0;
  for (const b of boxes) {
    b.x = x;
    b.y = y;
    x += BOX_W + GAP;
    height = Math.max(height, b.h);
  }
  for (const b of boxes) b.h = height;
  return y + height;
}

function draw(b: Box): string {
  const fill = b.kind === 'client' ? '#f4f4f4' : b.kind === 'managed' ? '#eef6ff' : '#ffffff';
  const dash = b.kind === 'managed' ? ' stroke-dasharray="6 4"' : '';
  const text = [`<text x="${b.x + 10}" y="${b.y + 20}" font-weight="bold">${esc(b.title)}</text>`];
  b.lines.forEach((l, i) => text.push(`<text x="${b.x + 10}" y="${b.y + 40 + i * 17}">${esc(l)}</text>`));
  return `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="6" fill="${fill}" stroke="#333"${dash}/>\n${text.join('\n')}`;
}

function arrow(from: Box, to: Box): string {
  const x1 = from.x + from.w / 2;
  const y1 = from.y + from.h;
  const x2 = to.x + to.w / 2;
  const y2 = to.y;
  return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2 - 2}" stroke="#555" marker-end="url(#arrow)"/>`;
}

export function topologySvg(e: Evaluation, caption: string): string {
  const t = e.topology;
  const store = t.store;
  const boxes: Box[] = [];
  const arrows: string[] = [];
  let y = 20;
  const client: Box = { x: 0, y: 0, w: BOX_W, h: 44, title: 'clients', lines: ['HTTP :80 (or :3000 with one VM)'], kind: 'client' };
  y = row([client], y) + 40;
  boxes.push(client);

  const lbHost = e.hosts.find((h) => h.roles.includes('lb') && !h.roles.includes('app'));
  const apps = e.hosts.filter((h) => h.roles.includes('app'));
  const dbHost = e.hosts.find((h) => h.roles.includes('db') && !h.roles.includes('app') && !h.roles.includes('lb'));
  let entry: Box | undefined;
  if (lbHost) entry = hostBox(lbHost, store, 0, 0);
  else if (t.managedLb) {
    const lb = t.managedLb;
    entry = {
      x: 0,
      y: 0,
      w: BOX_W,
      h: 0,
      title: `managed LB — ${lb.offer.id}`,
      lines: [
        `${lb.nodes} node${lb.nodes > 1 ? 's' : ''} · ${usd(lb.offer.monthlyUsdPerNode * lb.nodes)}/mo`,
        lb.offer.maxRpsPerNode ? `up to ${int(lb.nodes * lb.offer.maxRpsPerNode)} req/s` : 'provider-managed',
      ],
      kind: 'managed',
    };
    entry.h = 34 + entry.lines.length * 17;
  }
  if (entry) {
    y = row([entry], y) + 40;
    boxes.push(entry);
    arrows.push(arrow(client, entry));
  }
  // More than six app hosts: the first five and a summary box.
  const shown = apps.length > 6 ? apps.slice(0, 5) : apps;
  const appBoxes = shown.map((h) => hostBox(h, store, 0, 0));
  if (apps.length > 6) appBoxes.push({ x: 0, y: 0, w: BOX_W, h: 0, title: `… ${apps.length - 5} more`, lines: ['the same VM and roles'], kind: 'vm' });
  y = row(appBoxes, y) + 40;
  for (const b of appBoxes) {
    boxes.push(b);
    arrows.push(arrow(entry ?? client, b));
  }
  let db: Box | undefined;
  if (dbHost) db = hostBox(dbHost, store, 0, 0);
  else if (t.managedDb) {
    const m = t.managedDb;
    db = {
      x: 0,
      y: 0,
      w: BOX_W,
      h: 0,
      title: `managed DB — ${m.id}`,
      lines: [`${m.vcpus} vCPU · ${(m.memoryMiB / 1024).toFixed(0)} GiB · ${usd(m.monthlyUsd)}/mo`, `PostgreSQL, ≤ ${m.maxConnections} connections`],
      kind: 'managed',
    };
    db.h = 34 + db.lines.length * 17;
  }
  if (db) {
    y = row([db], y) + 40;
    boxes.push(db);
    for (const b of appBoxes) arrows.push(arrow(b, db));
  }
  const captionLines = caption.split('\n');
  const height = y + captionLines.length * 18;
  const captionSvg = captionLines.map((l, i) => `<text x="20" y="${y + i * 18}" font-size="13">${esc(l)}</text>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="${esc(t.id)}">
<title>${esc(t.id)}</title>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>
<rect width="100%" height="100%" fill="#fff"/>
${arrows.join('\n')}
${boxes.map(draw).join('\n')}
${captionSvg}
</svg>
`;
}
