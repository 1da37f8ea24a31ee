// Line charts as inline SVG, drawn here so that a report opens anywhere with no network and no
// script: axes with round tick values, one polyline per series, a legend, and a <title>/<desc>
// for screen readers.

export interface Series {
  name: string;
  color: string;
  /** [x, y] in data units */
  points: readonly (readonly [number, number])[];
}

export interface ChartOptions {
  title: string;
  series: readonly Series[];
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** About `count` round steps (1, 2 or 5 × 10^k) covering [0, max]. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (Math.abs(v) >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}

export function lineChart(o: ChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 240;
  const m = { left: 56, right: 16, top: 34, bottom: 36 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const all = o.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yTicks = niceTicks(Math.max(0, ...all.map((p) => p[1])));
  const yMax = yTicks[yTicks.length - 1]!;
  const xTicks = niceTicks(xMax, 6).filter((t) => t <= xMax * 1.0001);
  const X = (x: number): number => m.left + (x / xMax) * w;
  const Y = (y: number): number => m.top + h - (y / yMax) * h;
  const parts: string[] = [];
  const id = `c${Math.abs(hash(o.title))}`;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}t ${id}d" class="chart">`,
    `<title id="${id}t">${escapeHtml(o.title)}</title>`,
    `<desc id="${id}d">${escapeHtml(describe(o))}</desc>`,
    `<text x="${m.left}" y="16" class="chart-title">${escapeHtml(o.title)}</text>`,
  );
  for (const t of yTicks) {
    const y = Y(t).toFixed(1);
    parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`);
  }
  for (const t of xTicks) {
    const x = X(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top + h}" y2="${m.top + h + 4}" class="axis"/>`);
    parts.push(`<text x="${x}" y="${m.top + h + 16}" class="tick" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}" class="axis"/>`);
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + h}" class="axis"/>`);
  if (o.xLabel) parts.push(`<text x="${m.left + w / 2}" y="${height - 4}" class="label" text-anchor="middle">${escapeHtml(o.xLabel)}</text>`);
  if (o.yLabel) {
    parts.push(`<text transform="translate(12 ${m.top + h / 2}) rotate(-90)" class="label" text-anchor="middle">${escapeHtml(o.yLabel)}</text>`);
  }
  let lx = m.left + w;
  for (const s of [...o.series].reverse()) {
    const label = escapeHtml(s.name);
    lx -= 18 + s.name.length * 6.5;
    parts.push(`<rect x="${lx.toFixed(0)}" y="8" width="10" height="10" fill="${s.color}"/>`);
    parts.push(`<text x="${(lx + 14).toFixed(0)}" y="17" class="legend">${label}</text>`);
  }
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    const pts = s.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.8" stroke-linejoin="round" points="${pts}"/>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function describe(o: ChartOptions): string {
  return o.series
    .map((s) => {
      if (s.points.length === 0) return `${s.name}: no data`;
      const ys = s.points.map((p) => p[1]);
      return `${s.name}: from ${fmt(ys[0]!)} to ${fmt(ys[ys.length - 1]!)}, peak ${fmt(Math.max(...ys))}`;
    })
    .join('; ');
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
