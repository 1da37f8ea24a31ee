/**
 * VADER's preprocessing as one scan of the original text, keeping where each token came from:
 *  1. polarity_scores replaces each emoji (one code point of the emoji lexicon) by its
 *     description, with a space before it unless the previous character was " ", and none after:
 *     "😀good" becomes "grinning facegood";
 *  2. SentiText._words_and_emoticons splits on Python whitespace (str.split());
 *  3. _strip_punc_if_word strips string.punctuation from both ends of each token, unless fewer
 *     than 3 code points would remain (":)" and "a." stay as they are). No token is dropped.
 * `text.count("!")` and `text.count("?")` (for _punctuation_emphasis) are counted on the way,
 * descriptions included ("🔛" is "ON! arrow").
 */
import { isPySpace } from '../unicode.js';
import { EMOJI_DESCRIPTIONS } from './lexicon-data.js';
import { classifyString, FNV_START, fnvStep, isNegationWord, NEGATES, NEGATION_WORD, spanEndsWithNt, spanId, UPPER, WORD_FLAGS } from './lexicon.js';
import { isAsciiPunct } from './python.js';

/** VADER's words_and_emoticons, as parallel arrays, and the "!" and "?" counts. */
export interface Tokens {
  n: number;
  /** lexicon.ts ids of the lower-cased tokens, -1 for words no rule looks up. */
  ids: number[];
  /** IN_LEXICON | BOOSTS | NEGATES | NEGATION_WORD | UPPER */
  flags: number[];
  /** With `detail`: the tokens themselves, and their sources in the original text, in UTF-16 units: [start, end). */
  words: string[] | null;
  starts: number[] | null;
  ends: number[] | null;
  bangs: number;
  questions: number;
  /** Of those, the ones in emoji descriptions ("🔛" is "ON! arrow"): the rest are the text's own. */
  descriptionBangs: number;
  descriptionQuestions: number;
  /** With `countNegations`: the tokens that are negation words (lexicon.ts isNegationWord); else 0. */
  negations: number;
  countNegations: boolean;
}

// ASCII character classes. Private, never written after load.
const SPACE = 1;
const PUNCT = 2;
const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII[c] = (isPySpace(c) ? SPACE : 0) | (isAsciiPunct(c) ? PUNCT : 0);

/** Where _strip_punc_if_word leaves token[s, e): [start, end) of what it returns. */
function stripBounds(text: string, s: number, e: number): [number, number] {
  let a = s;
  let b = e;
  while (a < b && text.charCodeAt(a) < 0x80 && ASCII[text.charCodeAt(a)]! & PUNCT) a++;
  while (b > a && text.charCodeAt(b - 1) < 0x80 && ASCII[text.charCodeAt(b - 1)]! & PUNCT) b--;
  // len(stripped) counts code points: a surrogate pair is one.
  let len = b - a;
  for (let k = a; k < b - 1 && len > 2; k++) {
    const c = text.charCodeAt(k);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(k + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        len--;
        k++;
      }
    }
  }
  return len <= 2 ? [s, e] : [a, b];
}

function countMarks(s: string, mark: string): number {
  let n = 0;
  for (const ch of s) if (ch === mark) n++;
  return n;
}

/** One description word, already stripped and classified. */
interface DescriptionWord {
  readonly word: string;
  readonly id: number;
  readonly flags: number;
  /** isNegationWord(word) */
  readonly negation: boolean;
}
function describe(raw: string): DescriptionWord {
  const [a, b] = stripBounds(raw, 0, raw.length);
  const word = raw.slice(a, b);
  return Object.freeze({ word, ...classifyString(word), negation: isNegationWord(word) });
}

interface Emoji {
  /** UTF-16 length of the emoji: 1 or 2. */
  readonly units: number;
  /** The description's words but the last. */
  readonly head: readonly DescriptionWord[];
  /** The last word: on its own, and unstripped for when the text glues more to it. */
  readonly last: DescriptionWord;
  readonly lastRaw: string;
  readonly bangs: number;
  readonly questions: number;
}

/** Code point -> its description, for make_emoji_dict's single-code-point keys. */
const EMOJI: ReadonlyMap<number, Emoji> = (() => {
  const m = new Map<number, Emoji>();
  for (const [emoji, description] of EMOJI_DESCRIPTIONS) {
    const raw: string[] = [];
    let w = -1;
    for (let k = 0; k <= description.length; k++) {
      const space = k === description.length || isPySpace(description.charCodeAt(k));
      if (space && w >= 0) raw.push(description.slice(w, k));
      if (space) w = -1;
      else if (w < 0) w = k;
    }
    // The last word glues to what follows the emoji; a description ending in whitespace would
    // not, and none does.
    if (raw.length === 0 || isPySpace(description.charCodeAt(description.length - 1))) {
      throw new Error(`unexpected emoji description ${JSON.stringify(description)}`);
    }
    const lastRaw = raw.pop()!;
    m.set(
      emoji.codePointAt(0)!,
      Object.freeze({
        units: emoji.length,
        head: Object.freeze(raw.map(describe)),
        last: describe(lastRaw),
        lastRaw,
        bangs: countMarks(description, '!'),
        questions: countMarks(description, '?'),
      }),
    );
  }
  return m;
})();

/** The emoji starting at text[k] (a non-ASCII unit), if any. */
function emojiAt(text: string, k: number): Emoji | undefined {
  const c = text.charCodeAt(k);
  if (c < 0xa9) return undefined; // no emoji below U+00A9 ©
  return EMOJI.get(c >= 0xd800 && c <= 0xdbff ? text.codePointAt(k)! : c);
}

function push(t: Tokens, id: number, flags: number, start: number, end: number, word: string | null): void {
  t.ids.push(id);
  t.flags.push(flags);
  if (t.words !== null) {
    t.words.push(word!);
    t.starts!.push(start);
    t.ends!.push(end);
  }
  t.n++;
}

/** The end of the text's chunk from s: the next whitespace or emoji. Counts "!" and "?". */
function chunkEnd(t: Tokens, text: string, s: number): number {
  let k = s;
  for (const n = text.length; k < n; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x80) {
      if (ASCII[c]! & SPACE) break;
      if (c === 0x21) t.bangs++;
      else if (c === 0x3f) t.questions++;
    } else if (isPySpace(c) || emojiAt(text, k) !== undefined) break;
  }
  return k;
}

/**
 * Adds the token of the chunk starting at s (not whitespace, not an emoji) and returns its end.
 * All-ASCII chunks (almost all) take one pass that finds the end, the stripped bounds, the hash
 * of the stripped word lower-cased and its case; anything else is classified by string.
 */
function pushChunk(t: Tokens, text: string, s: number): number {
  const n = text.length;
  let h = FNV_START; // over text[a, k), lower-cased
  let hCore = FNV_START; // over text[a, b)
  let a = -1; // first character that is not punctuation
  let b = -1; // after the last one
  let upper = false;
  let lower = false;
  let apostrophe = false;
  let k = s;
  for (; k < n; k++) {
    let c = text.charCodeAt(k);
    if (c >= 0x80) return pushGeneral(t, text, s, chunkEnd(t, text, k));
    const cls = ASCII[c]!;
    if (cls & SPACE) break;
    if (cls & PUNCT) {
      if (c === 0x21) t.bangs++;
      else if (c === 0x3f) t.questions++;
      else if (c === 0x27) apostrophe = true;
      if (a < 0) continue;
      h = fnvStep(h, c);
      continue;
    }
    if (a < 0) a = k;
    b = k + 1;
    if (c >= 0x41 && c <= 0x5a) {
      upper = true;
      c += 0x20;
    } else if (c >= 0x61 && c <= 0x7a) lower = true;
    h = fnvStep(h, c);
    hCore = h;
  }
  let ts = a;
  let te = b;
  if (b - a <= 2) {
    // fewer than 3 characters left: the token is kept whole, punctuation and all
    ts = s;
    te = k;
    if (a !== s || b !== k) {
      hCore = FNV_START;
      for (let j = s; j < k; j++) {
        const c = text.charCodeAt(j);
        hCore = fnvStep(hCore, c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
      }
    }
  }
  const id = spanId(text, ts, te, hCore);
  let flags = id >= 0 ? WORD_FLAGS[id]! : apostrophe && hasNt(text, ts, te) ? NEGATES : 0;
  if (upper && !lower) flags |= UPPER;
  // isNegationWord(text.slice(ts, te)) without the string: an ASCII token is its id's word up to
  // case; a word without an id is in no negation list, so only "n't" at its end can make it one
  // (and then it contains "n't": NEGATES).
  if (t.countNegations && (id >= 0 ? (flags & NEGATION_WORD) !== 0 : (flags & NEGATES) !== 0 && te - ts <= 9 && spanEndsWithNt(text, ts, te))) {
    t.negations++;
  }
  push(t, id, flags, ts, te, t.words !== null ? text.slice(ts, te) : null);
  return k;
}

/** Adds the token for text[s, e), a chunk without whitespace or emoji, by string; returns e. */
function pushGeneral(t: Tokens, text: string, s: number, e: number): number {
  const [a, b] = stripBounds(text, s, e);
  const word = text.slice(a, b);
  const { id, flags } = classifyString(word);
  if (t.countNegations && isNegationWord(word)) t.negations++;
  push(t, id, flags, a, b, word);
  return e;
}

/** "n't" in text[a, b).lower(), for ASCII text. */
function hasNt(text: string, a: number, b: number): boolean {
  for (let k = a + 1; k < b - 1; k++) {
    if (text.charCodeAt(k) === 0x27 && (text.charCodeAt(k - 1) | 0x20) === 0x6e && (text.charCodeAt(k + 1) | 0x20) === 0x74) return true;
  }
  return false;
}

/** Adds the tokens of the emoji at text[k]; returns where the scan goes on. */
function pushEmoji(t: Tokens, text: string, k: number, em: Emoji): number {
  const end = k + em.units;
  t.bangs += em.bangs;
  t.questions += em.questions;
  t.descriptionBangs += em.bangs;
  t.descriptionQuestions += em.questions;
  const keep = t.words !== null;
  for (const w of em.head) {
    if (w.negation && t.countNegations) t.negations++;
    push(t, w.id, w.flags, k, end, keep ? w.word : null);
  }
  // No space follows the description: the rest of the chunk is part of its last word.
  const q = chunkEnd(t, text, end);
  if (q === end) {
    if (em.last.negation && t.countNegations) t.negations++;
    push(t, em.last.id, em.last.flags, k, end, keep ? em.last.word : null);
    return q;
  }
  const raw = em.lastRaw + text.slice(end, q);
  const [a, b] = stripBounds(raw, 0, raw.length);
  const word = raw.slice(a, b);
  const { id, flags } = classifyString(word);
  if (t.countNegations && isNegationWord(word)) t.negations++;
  const L = em.lastRaw.length;
  // Description characters come from the emoji; the rest from their own place.
  push(t, id, flags, a < L ? k : end + (a - L), b <= L ? end : end + (b - L), keep ? word : null);
  return q;
}

/**
 * The tokens of `text` as VADER sees them; with `detail`, their strings and sources too; with
 * `countNegations`, how many are negation words (what blend counts, without the strings).
 */
export function tokenize(text: string, detail: boolean, countNegations = false): Tokens {
  const t: Tokens = {
    n: 0,
    ids: [],
    flags: [],
    words: detail ? [] : null,
    starts: detail ? [] : null,
    ends: detail ? [] : null,
    bangs: 0,
    questions: 0,
    descriptionBangs: 0,
    descriptionQuestions: 0,
    negations: 0,
    countNegations,
  };
  const n = text.length;
  let k = 0;
  while (k < n) {
    const c = text.charCodeAt(k);
    if (c < 0x80) {
      if (ASCII[c]! & SPACE) {
        k++;
        continue;
      }
    } else if (isPySpace(c)) {
      k++;
      continue;
    } else {
      const em = emojiAt(text, k);
      if (em !== undefined) {
        k = pushEmoji(t, text, k, em);
        continue;
      }
    }
    k = c < 0x80 ? pushChunk(t, text, k) : pushGeneral(t, text, k, chunkEnd(t, text, k));
  }
  return t;
}
