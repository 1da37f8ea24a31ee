// --data FILE: texts to post instead of one fixed sentence — the engine's cost depends on the text.
// A file is either plain lines (one text per non-empty line) or JSON Lines whose objects have a
// string `text` field (e.g. the corpus's tweets.jsonl); it is JSON Lines when its first non-empty
// line is a JSON object. Requests whose body holds the placeholder {{text}} (the seed scenario's
// POST /analyze when --data is given, or any scenario file) take the next text, in order
// (round-robin) or at random (seeded by --seed, a stream of its own so task choices and think times
// stay those of the same seed without --data).
import { readFileSync } from 'node:fs';
import { createRandom, type Random } from './prng.js';
import { UserError } from '../user-error.js';

export const TEXT_PLACEHOLDER = '{{text}}';
export type DataOrder = 'round-robin' | 'random';

export class DataError extends UserError {}

/** The texts of a file: JSON Lines with a "text" field, or plain lines. */
export function parseTexts(content: string, source: string): string[] {
  const lines = content.split(/\r?\n/);
  const first = lines.find((l) => l.trim() !== '');
  if (first === undefined) throw new DataError(`${source}: no texts (the file is empty)`);
  let jsonl = false;
  if (first.trimStart().startsWith('{')) {
    try {
      jsonl = typeof JSON.parse(first) === 'object';
    } catch {
      jsonl = false;
    }
  }
  const texts: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    if (!jsonl) return void texts.push(line);
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch (err) {
      throw new DataError(`${source} line ${i + 1}: not JSON (${(err as Error).message}); a JSON Lines file needs one object per line`);
    }
    const text = (doc as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') throw new DataError(`${source} line ${i + 1}: no string "text" field`);
    texts.push(text);
  });
  return texts;
}

export function loadTexts(file: string): string[] {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read --data file ${file}: ${(err as Error).message}`);
  }
  return parseTexts(content, file);
}

/** Which text the next templated request takes. */
export interface TextFeed {
  readonly count: number;
  next(): number;
}

/**
 * Round-robin from `offset` (so N processes sharing a file start at different texts), or uniformly
 * at random from a generator seeded from the run's seed.
 */
export function createFeed(count: number, order: DataOrder, seed: number, offset = 0): TextFeed {
  if (order === 'random') {
    // A stream of its own: the golden-ratio constant keeps it apart from the run's generator.
    const random: Random = createRandom((seed ^ 0x9e3779b9) >>> 0);
    return { count, next: () => Math.floor(random.next() * count) };
  }
  let i = offset % count;
  return {
    count,
    next: () => {
      const k = i;
      i = i + 1 === count ? 0 : i + 1;
      return k;
    },
  };
}
