/**
 * The sentiment lexicon, built once at module load from the generated rows and frozen, with two
 * ways to classify a word (lexicon word, emoticon, negation): by string and by a span of the input text, lower-casing ASCII on
 * the fly, so the fast path never allocates a string for a word it does not know.
 */
import { EMOTICON_POLARITY } from './emoticons.js';
import { LEXICON_ROWS } from './lexicon-data.js';
import { freezeMap } from './readonly-map.js';
import { asciiLowerEquals } from './unicode.js';

export interface LexiconEntry {
  readonly kind: 'word';
  /** The lower-case word. */
  readonly word: string;
  /** Pos-less average polarity, subjectivity and intensity (TextBlob's `self[w][None]`). */
  readonly polarity: number;
  readonly subjectivity: number;
  readonly intensity: number;
  /** Has an RB (adverb) sense, so it modifies the next known word ("very good"). */
  readonly modifier: boolean;
  /** The XML `label` attribute ("profanity"), or null. */
  readonly label: string | null;
}

/** Sentiment.negations of textblob/en/__init__.py. ("n't" never survives the tokenizer.) */
export const NEGATIONS: readonly string[] = Object.freeze(['no', 'not', "n't", 'never']);

const ENTRIES: readonly LexiconEntry[] = Object.freeze(
  LEXICON_ROWS.map(([word, polarity, subjectivity, intensity, modifier, label]) => Object.freeze({ kind: 'word' as const, word, polarity, subjectivity, intensity, modifier: modifier === 1, label })),
);

/** Lower-case word -> entry. Read-only. */
export const LEXICON: ReadonlyMap<string, LexiconEntry> = freezeMap(new Map(ENTRIES.map((e) => [e.word, e])));

/** An emoticon, as Sentiment.assessments recognises it (lower-cased, see emoticons.ts). */
export interface MoodEntry {
  readonly kind: 'mood';
  readonly word: string;
  readonly polarity: number;
}

const MOODS: readonly MoodEntry[] = Object.freeze([...EMOTICON_POLARITY].map(([word, polarity]) => Object.freeze({ kind: 'mood' as const, word, polarity })));

/** What a word is, for the scorer: a lexicon entry, an emoticon, a negation (its word), or none. */
export type WordClass = LexiconEntry | MoodEntry | string | undefined;

const CLASSES: ReadonlyMap<string, WordClass> = freezeMap(
  new Map<string, WordClass>([
    // Sentiment.assessments tries the lexicon first, then negations, then emoticons.
    ...MOODS.map((m) => [m.word, m] as const),
    ...NEGATIONS.map((n) => [n, n] as const),
    ...ENTRIES.map((e) => [e.word, e] as const),
  ]),
);

/** Classifies an already lower-cased word. */
export function classify(w: string): WordClass {
  return CLASSES.get(w);
}

// --- span lookup: open addressing over the lexicon words and the negations -------------------------

const KEYS: readonly string[] = [...CLASSES.keys()];
const VALUES: readonly WordClass[] = [...CLASSES.values()];
const BITS = 14;
const MASK = (1 << BITS) - 1;
if (KEYS.length * 4 > MASK) throw new Error('lexicon hash table too small');

/** FNV-1a over the UTF-16 units. */
function hashString(w: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < w.length; k++) h = Math.imul(h ^ w.charCodeAt(k), 0x01000193);
  return h;
}

// Open addressing with linear probing; each slot keeps the key's full hash, so a probe for an
// unknown word (most words) touches these two typed arrays only, never a key string.
// Private, and never written after this block.
const SLOT_INDEX = new Int32Array(1 << BITS); // index + 1 into KEYS, 0 = empty
const SLOT_HASH = new Int32Array(1 << BITS);
for (let idx = 0; idx < KEYS.length; idx++) {
  const h = hashString(KEYS[idx]!);
  let slot = h & MASK;
  while (SLOT_INDEX[slot] !== 0) slot = (slot + 1) & MASK;
  SLOT_INDEX[slot] = idx + 1;
  SLOT_HASH[slot] = h;
}

/** Returned by classifySpan when the span holds a non-ASCII character. */
export const NON_ASCII: unique symbol = Symbol('non-ASCII');

/**
 * Classifies text[s, e) lower-cased, without building a string. Returns NON_ASCII when the span has
 * a character outside ASCII (the caller then lower-cases it with full Unicode rules).
 */
export function classifySpan(text: string, s: number, e: number): WordClass | typeof NON_ASCII {
  let h = 0x811c9dc5;
  for (let k = s; k < e; k++) {
    let c = text.charCodeAt(k);
    if (c >= 0x80) return NON_ASCII;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    h = Math.imul(h ^ c, 0x01000193);
  }
  for (let slot = h & MASK; ; slot = (slot + 1) & MASK) {
    const idx = SLOT_INDEX[slot]!;
    if (idx === 0) return undefined;
    if (SLOT_HASH[slot] !== h) continue;
    const key = KEYS[idx - 1]!;
    const len = e - s;
    if (key.length === len && asciiLowerEquals(text, s, key)) return VALUES[idx - 1];
  }
}
