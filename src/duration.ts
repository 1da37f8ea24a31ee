// Durations, one grammar for the whole program: the configuration (HISTORY_MAX_AGE=1h30m) and the
// load tester (-t 1m30s, --timeout 500ms) read them with this one parser.
//
//   <number><unit>[<number><unit>…]   units ms, s, m, h, d; compound forms add up: 1h30m, 2m30s, 1d12h
//   <number>                          bare: seconds, only where the caller allows it (Locust's
//                                     --run-time takes "60"); the configuration asks for a unit
// Numbers may have a fraction (1.5h); spaces may separate the parts ("30 d", "1h 30m").

export class DurationError extends RangeError {}

const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

export interface DurationOptions {
  /** accept a bare number as seconds (default false) */
  bareSeconds?: boolean;
}

/** Parses a duration into seconds; throws DurationError saying what is accepted. */
export function parseDuration(text: string, opts: DurationOptions = {}): number {
  const s = text.trim();
  if (opts.bareSeconds && /^\d+(\.\d+)?$/.test(s)) return Number(s);
  // "ms" before "m" and "s": the alternation is tried in order.
  const re = /\s*(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)(?![a-z])/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length) {
    throw new DurationError(`not a duration: ${JSON.stringify(text)} (use a number with a unit ms, s, m, h or d, or several: 500ms, 90s, 1h30m${opts.bareSeconds ? ', or plain seconds: 60' : ''})`);
  }
  // Sum in milliseconds' resolution so 0.1s + 0.2s does not print as 0.30000000000000004.
  return Math.round(total * 1e6) / 1e6;
}

/** A short human form of a number of seconds: 500ms, 42s, 1.5s, 2m, 1h30m. */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60 || seconds % 60 !== 0) return `${Number(seconds.toFixed(3))}s`;
  const h = Math.floor(seconds / 3600);
  const m = (seconds % 3600) / 60;
  if (h === 0) return `${m}m`;
  return m === 0 ? `${h}h` : `${h}h${m}m`;
}
