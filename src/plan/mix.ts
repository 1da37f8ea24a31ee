// The request mix: how many POST /analyze per GET /history. The seed's Locust file weighs them 1 : 2.
import { UserError } from '../user-error.js';
export interface Mix {
  readonly post: number;
  readonly get: number;
}

export const SEED_MIX: Mix = Object.freeze({ post: 1, get: 2 });

export class MixError extends UserError {}

/** "seed" (1:2), "P:G" (e.g. "1:9", "1:0" for writes only) or "post=1,get=2". */
export function parseMix(spec: string): Mix {
  if (spec === 'seed') return SEED_MIX;
  const m = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(spec) ?? /^\s*post\s*=\s*(\d+(?:\.\d+)?)\s*,\s*get\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(spec);
  if (!m) throw new MixError(`--mix must be "seed" or POST:GET such as 1:2 (got ${JSON.stringify(spec)})`);
  const post = Number(m[1]);
  const get = Number(m[2]);
  if (post + get <= 0) throw new MixError('--mix needs at least one request kind above 0');
  return Object.freeze({ post, get });
}

/** The share of POSTs, 0…1. */
export function postShare(mix: Mix): number {
  return mix.post / (mix.post + mix.get);
}

export function sameMix(a: Mix, b: Mix): boolean {
  return Math.abs(postShare(a) - postShare(b)) < 1e-9;
}

export function formatMix(mix: Mix): string {
  const n = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
  return `${n(mix.post)} POST /analyze : ${n(mix.get)} GET /history`;
}
