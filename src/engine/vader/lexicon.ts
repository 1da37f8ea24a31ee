/**
 * Every word VADER's rules look up, with an integer id: the lexicon's words, the boosters, the
 * negations, and the words of the rules and the multi-word phrases. A token is classified once —
 * by a span of the text (lower-casing ASCII on the fly, so an unknown word never becomes a
 * string) or by string — and the rules then compare ids and flags. Built at load, never written.
 */
import { freezeMap } from '../readonly-map.js';
import { asciiLowerEquals, pyLower } from '../unicode.js';
import { pyIsUpper } from './python.js';
import { VADER_LEXICON } from './lexicon-data.js';
import { BOOSTER, NEGATE, RULE_WORDS, SPECIAL_CASES } from './rules.js';

// Token flags: all but UPPER belong to the word, UPPER to how the token is written.

/** `item.lower() in self.lexicon` */
export const IN_LEXICON = 1;
/** `word_lower in BOOSTER_DICT` (single words; the phrases are in BOOSTER_PHRASES). */
export const BOOSTS = 2;
/** `negated([word])`: in NEGATE, or the lower-cased word contains "n't". */
export const NEGATES = 4;
/** `word.isupper()` */
export const UPPER = 8;
/**
 * `isNegationWord(word)` (below): what the blend model counts as a negation, not a rule of VADER's.
 * A token found by span with an id is its id's word up to ASCII case — or a Kelvin sign, which
 * lower-cases to "k", and no negation word has a "k" — so it is a negation word exactly when its
 * id's word is.
 */
export const NEGATION_WORD = 16;

const words: string[] = [];
const ids = new Map<string, number>();
function intern(w: string): number {
  let id = ids.get(w);
  if (id === undefined) {
    id = words.length;
    words.push(w);
    ids.set(w, id);
  }
  return id;
}
// Ids: the lexicon's words in file order, then the other tables' words not already among them.
for (const [w] of VADER_LEXICON) intern(w);
for (const w of BOOSTER.keys()) for (const part of w.split(' ')) intern(part);
for (const w of NEGATE) intern(w);
for (const w of Object.values(RULE_WORDS)) intern(w);
for (const w of SPECIAL_CASES.keys()) for (const part of w.split(' ')) intern(part);

// --- negation words, as the blend model counts them ------------------------------------------------

/** NEGATE plus "no": the words `isNegationWord` accepts (lower-cased), besides those ending in "n't". */
const NEGATION_WORDS: ReadonlySet<string> = new Set([...NEGATE, RULE_WORDS.no]);

/** Ends in "n't", any case. */
function endsWithNt(w: string): boolean {
  const n = w.length;
  return n >= 3 && (w.charCodeAt(n - 1) | 0x20) === 0x74 && w.charCodeAt(n - 2) === 0x27 && (w.charCodeAt(n - 3) | 0x20) === 0x6e;
}

/** Has an ASCII capital (only then is lower-casing needed: the list is ASCII). */
function hasAsciiUpper(w: string): boolean {
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/**
 * The negation words by first letter and length (index letter × 10 + length): a token is compared
 * with the two or three words of its bucket, no hashing of a fresh string.
 */
const NEGATION_BUCKETS: readonly (readonly string[])[] = Object.freeze(
  Array.from({ length: 26 * 10 }, (_, k) => Object.freeze([...NEGATION_WORDS].filter((w) => (w.charCodeAt(0) - 0x61) * 10 + w.length === k))),
);

/**
 * A token that negates, for the blend model's `negations` feature: of 2 to 9 UTF-16 units, and in
 * NEGATE or "no" (ASCII case ignored), or ending in "n't". Not VADER's own `negated()` (NEGATES),
 * which has no "no" and takes any word *containing* "n't", of any length; this is the test blend
 * was trained with, kept as it is. vaderFeatures counts the same tokens without their strings.
 */
export function isNegationWord(word: string): boolean {
  const n = word.length;
  if (n < 2 || n > 9) return false;
  if (endsWithNt(word)) return true;
  const letter = (word.charCodeAt(0) | 0x20) - 0x61;
  if (letter < 0 || letter > 25) return false;
  const bucket = NEGATION_BUCKETS[letter * 10 + n]!;
  if (bucket.length === 0) return false; // four tokens in five end here
  const w = hasAsciiUpper(word) ? word.toLowerCase() : word;
  for (let i = 0; i < bucket.length; i++) if (bucket[i] === w) return true;
  return false;
}

/** Whether text[s, e) ends in "n't", any case (text[s, e) with at least 3 units). */
export function spanEndsWithNt(text: string, s: number, e: number): boolean {
  return e - s >= 3 && (text.charCodeAt(e - 1) | 0x20) === 0x74 && text.charCodeAt(e - 2) === 0x27 && (text.charCodeAt(e - 3) | 0x20) === 0x6e;
}

const valences: number[] = words.map(() => NaN);
for (const [w, v] of VADER_LEXICON) valences[ids.get(w)!] = v;
const negateSet = new Set(NEGATE);

Object.freeze(words);
freezeMap(ids);
/** id -> the lexicon valence, NaN when the word is not in the lexicon. */
export const VALENCE: readonly number[] = Object.freeze(valences);
/** id -> BOOSTER_DICT's scalar, 0 when the word is not a (single-word) booster. */
export const BOOSTER_SCALAR: readonly number[] = Object.freeze(words.map((w) => BOOSTER.get(w) ?? 0));
/** id -> IN_LEXICON | BOOSTS | NEGATES | NEGATION_WORD. */
export const WORD_FLAGS: readonly number[] = Object.freeze(
  words.map(
    (w, id) => (Number.isNaN(valences[id]!) ? 0 : IN_LEXICON) | (BOOSTER.has(w) ? BOOSTS : 0) | (negateSet.has(w) || w.includes("n't") ? NEGATES : 0) | (isNegationWord(w) ? NEGATION_WORD : 0),
  ),
);

/** The id of a lower-case word, -1 when the rules never look it up. */
export function wordId(lower: string): number {
  return ids.get(lower) ?? -1;
}

/** The id of a word the tables define (throws otherwise: a typo in a rule). */
export function knownId(lower: string): number {
  const id = ids.get(lower);
  if (id === undefined) throw new Error(`not a VADER word: ${lower}`);
  return id;
}

// --- phrases: "kind of", "the shit", "kiss of death", … as keys of ids ------------------------------

const ID_BITS = 14;
if (words.length >= 1 << ID_BITS) throw new Error('too many VADER words for the phrase keys');
/** A key for two ids (both ≥ 0). */
export function pairKey(a: number, b: number): number {
  return a * (1 << ID_BITS) + b;
}
/** A key for three ids (both ≥ 0); distinct from every pair key. */
export function tripleKey(a: number, b: number, c: number): number {
  return ((a + 1) * (1 << ID_BITS) + b) * (1 << ID_BITS) + c;
}
function phraseTable(entries: Iterable<[string, number]>): ReadonlyMap<number, number> {
  const m = new Map<number, number>();
  for (const [phrase, v] of entries) {
    const p = phrase.split(' ').map(knownId);
    if (p.length === 2) m.set(pairKey(p[0]!, p[1]!), v);
    else if (p.length === 3) m.set(tripleKey(p[0]!, p[1]!, p[2]!), v);
    // one word: never equal to "{0} {1}" (a token holds no space), so never matched
  }
  return freezeMap(m);
}
/** SPECIAL_CASES' two- and three-word keys. */
export const SPECIAL_PHRASES = phraseTable(SPECIAL_CASES);
/** BOOSTER_DICT's multi-word keys: "just enough", "kind of", "sort of". */
export const BOOSTER_PHRASES = phraseTable(BOOSTER);

// --- lookup by span: open addressing over the lower-case words ----------------------------------

const BITS = 14;
const MASK = (1 << BITS) - 1;
if (words.length * 2 > MASK) throw new Error('VADER word hash table too small'); // and id + 1 ≤ MASK

/** FNV-1a over UTF-16 units. */
function hashString(w: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < w.length; k++) h = Math.imul(h ^ w.charCodeAt(k), 0x01000193);
  return h;
}

// Each slot holds id + 1 in its low BITS bits and the high bits of its key's hash above them (0:
// empty), so probing for an unknown word touches this one 64 KB typed array only (and a key string
// only when the hashes' high bits agree). Private, and never written after this block.
const SLOTS = new Int32Array(1 << BITS);
for (let id = 0; id < words.length; id++) {
  const h = hashString(words[id]!);
  let slot = h & MASK;
  while (SLOTS[slot] !== 0) slot = (slot + 1) & MASK;
  SLOTS[slot] = (h & ~MASK) | (id + 1);
}

/**
 * The id of text[s, e) lower-cased, for an all-ASCII span, given its hash lower-cased (computed
 * by the caller's scan with fnvStep); -1 when unknown.
 */
export function spanId(text: string, s: number, e: number, h: number): number {
  const len = e - s;
  for (let slot = h & MASK; ; slot = (slot + 1) & MASK) {
    const entry = SLOTS[slot]!;
    if (entry === 0) return -1;
    if (((entry ^ h) & ~MASK) !== 0) continue;
    const id1 = entry & MASK;
    const key = words[id1 - 1]!;
    if (key.length === len && asciiLowerEquals(text, s, key)) return id1 - 1;
  }
}

/** FNV-1a's starting value and step, for callers hashing a span as they scan it. */
export const FNV_START = 0x811c9dc5;
export function fnvStep(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193);
}

/**
 * Classifies any token by string: its id (of `word.lower()`, Python's full Unicode lower-casing;
 * only "K" U+212A and "İ" U+0130 lower-case to something with ASCII in it, the same in CPython
 * 3.11 and JavaScript, and the tables' words are ASCII, but for ":Þ" and ":-Þ", which no
 * lower-cased token can equal) and its flags.
 */
export function classifyString(word: string): { id: number; flags: number } {
  const lower = pyLower(word);
  const id = wordId(lower);
  let flags = id >= 0 ? WORD_FLAGS[id]! : lower.includes("n't") ? NEGATES : 0;
  if (pyIsUpper(word)) flags |= UPPER;
  return { id, flags };
}
