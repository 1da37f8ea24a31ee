/**
 * The sentiment lexicon, built once at module load from the generated rows and frozen.
 */
import { LEXICON_ROWS } from './lexicon-data.js';

export interface LexiconEntry {
  /** Pos-less average polarity, subjectivity and intensity (TextBlob's `self[w][None]`). */
  readonly polarity: number;
  readonly subjectivity: number;
  readonly intensity: number;
  /** Has an RB (adverb) sense, so it modifies the next known word ("very good"). */
  readonly modifier: boolean;
  /** The XML `label` attribute ("profanity"), or null. */
  readonly label: string | null;
}

function build(): Map<string, LexiconEntry> {
  const m = new Map<string, LexiconEntry>();
  for (const [form, polarity, subjectivity, intensity, modifier, label] of LEXICON_ROWS) {
    m.set(form, Object.freeze({ polarity, subjectivity, intensity, modifier: modifier === 1, label }));
  }
  return m;
}

/** Lower-case word -> entry. Read-only: a ReadonlyMap whose mutators throw. */
export const LEXICON: ReadonlyMap<string, LexiconEntry> = freezeMap(build());

function freezeMap<K, V>(m: Map<K, V>): ReadonlyMap<K, V> {
  const fail = (): never => {
    throw new TypeError('the sentiment lexicon is read-only');
  };
  m.set = fail;
  m.delete = fail;
  m.clear = fail;
  return Object.freeze(m);
}
