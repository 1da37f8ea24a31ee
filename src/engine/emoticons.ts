/**
 * Emoticons and the sarcasm mark, as TextBlob 0.18 handles them (textblob/_text.py EMOTICONS,
 * RE_EMOTICONS, RE_SARCASM and Sentiment.assessments).
 */
import { freezeMap } from './readonly-map.js';

/**
 * TextBlob's EMOTICONS table, in its dict order (which is the regex alternation order).
 * Each group is a Python set, so the order inside a group is arbitrary (hash-seeded); that never
 * matters because no emoticon is a prefix of another in the same group (checked by a unit test).
 */
export const EMOTICON_GROUPS: readonly { readonly name: string; readonly polarity: number; readonly forms: readonly string[] }[] = Object.freeze(
  [
    { name: 'love', polarity: 1.0, forms: ['<3', '♥'] },
    { name: 'grin', polarity: 1.0, forms: ['>:D', ':-D', ':D', '=-D', '=D', 'X-D', 'x-D', 'XD', 'xD', '8-D'] },
    { name: 'taunt', polarity: 0.75, forms: ['>:P', ':-P', ':P', ':-p', ':p', ':-b', ':b', ':c)', ':o)', ':^)'] },
    { name: 'smile', polarity: 0.5, forms: ['>:)', ':-)', ':)', '=)', '=]', ':]', ':}', ':>', ':3', '8)', '8-)'] },
    { name: 'wink', polarity: 0.25, forms: ['>;]', ';-)', ';)', ';-]', ';]', ';D', ';^)', '*-)', '*)'] },
    { name: 'gasp', polarity: 0.05, forms: ['>:o', ':-O', ':O', ':o', ':-o', 'o_O', 'o.O', '°O°', '°o°'] },
    { name: 'worry', polarity: -0.25, forms: ['>:/', ':-/', ':/', ':\\', '>:\\', ':-.', ':-s', ':s', ':S', ':-S', '>.>'] },
    { name: 'frown', polarity: -0.75, forms: ['>:[', ':-(', ':(', '=(', ':-[', ':[', ':{', ':-<', ':c', ':-c', '=/'] },
    { name: 'cry', polarity: -1.0, forms: [":'(", ":'''(", ";'("] },
  ].map((g) => Object.freeze({ ...g, forms: Object.freeze(g.forms) })),
);

const LETTER = /^\p{L}+$/u;

/**
 * Lower-cased word -> polarity of its emoticon group, as Sentiment.assessments scores a word:
 * the word (already lower-cased) must not be `isalpha()` — so "XD"/"xD" ("xd") never score —
 * must not be a substring of PUNCTUATION (no emoticon is), and is looked up group by group in
 * dict order against the lower-cased forms, the first group that has it winning.
 */
export const EMOTICON_POLARITY: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  for (const g of EMOTICON_GROUPS) {
    for (const f of g.forms) {
      const w = f.toLowerCase();
      if (LETTER.test(w) || m.has(w)) continue;
      m.set(w, g.polarity);
    }
  }
  return freezeMap(m);
})();

/** Emoticons to try at a position, keyed by their first UTF-16 unit, in alternation order. */
const BY_FIRST: ReadonlyMap<number, readonly string[]> = (() => {
  const m = new Map<number, string[]>();
  for (const g of EMOTICON_GROUPS) {
    for (const f of g.forms) {
      const c = f.charCodeAt(0);
      let list = m.get(c);
      if (!list) m.set(c, (list = []));
      list.push(f);
    }
  }
  return m;
})();

/**
 * (first, second) character pairs that begin a sarcasm mark "(!" or an emoticon, for ASCII pairs
 * as a 128 x 128 table; the only non-ASCII first character is "°" ("°O°", "°o°").
 */
const ASCII_PAIRS = new Uint8Array(128 * 128);
const ASCII_FIRSTS = new Uint8Array(128);
const OTHER_PAIRS: ReadonlySet<string> = (() => {
  const other = new Set<string>();
  const add = (f: string): void => {
    const a = f.charCodeAt(0);
    const b = f.charCodeAt(1);
    if (a < 128 && b < 128) {
      ASCII_PAIRS[a * 128 + b] = 1;
      ASCII_FIRSTS[a] = 1;
    } else other.add(f.slice(0, 2));
  };
  add('(!');
  for (const g of EMOTICON_GROUPS) for (const f of g.forms) if (f.length >= 2) add(f);
  return other;
})();
const OTHER_FIRSTS: ReadonlySet<number> = new Set([...OTHER_PAIRS].map((p) => p.charCodeAt(0)));

/** Whether `c` is the first character of a sarcasm mark or of an emoticon of two or more. */
export function mayStartPair(c: number): boolean {
  return c < 128 ? ASCII_FIRSTS[c] === 1 : OTHER_FIRSTS.has(c);
}

/**
 * Whether two consecutive non-space characters of the text (`prev`, then `c`) could begin a
 * sarcasm mark or an emoticon. In a sentence of find_tokens, consecutive characters of a match are
 * consecutive non-space characters of the text (at most one space apart in the sentence), so a
 * text with no such pair (and no "♥") needs no sentence rewrite at all.
 */
export function mightPair(prev: number, c: number): boolean {
  if (prev < 128 && c < 128) return ASCII_PAIRS[prev * 128 + c] === 1;
  return OTHER_PAIRS.has(String.fromCharCode(prev, c));
}

const SARCASM: readonly string[] = Object.freeze(['(!)']);

/** The length of the longest emoticon (":'''("). */
export const LONGEST_FORM = Math.max(...EMOTICON_GROUPS.flatMap((g) => g.forms.map((f) => f.length)));
const NONE: readonly string[] = Object.freeze([]);

/**
 * The sarcasm mark and the emoticons that start with the characters `c` then `d`, in alternation
 * order (the one-character "♥" is handled by the scanner itself).
 */
export function formsStartingWith(c: number, d: number): readonly string[] {
  if (c === 0x28) return d === 0x21 ? SARCASM : NONE; // no emoticon starts with "("
  return BY_PAIR.get(c * 65536 + d) ?? NONE;
}

/**
 * The end of a match of `form` in `s` at `p` under the regex `f ?o ?r ?m` (each character but the
 * last may be followed by one optional space), or -1. The optional space is greedy, and since no
 * emoticon character is a space, backtracking over it can never help: the match is deterministic.
 */
function matchForm(s: string, p: number, form: string): number {
  let q = p;
  for (let k = 0; k < form.length; k++) {
    if (k > 0 && q < s.length && s.charCodeAt(q) === 0x20) q++;
    if (q >= s.length || s.charCodeAt(q) !== form.charCodeAt(k)) return -1;
    q++;
  }
  return q;
}

/** Whether an emoticon starts with this ASCII character (a quick test before BY_PAIR). */
const ASCII_STARTS = new Uint8Array(128);
for (const c of BY_FIRST.keys()) if (c < 128) ASCII_STARTS[c] = 1;

/**
 * Emoticons of two or more characters by their first two characters (first * 65536 + second),
 * in alternation order. At a given position the second character of any match is determined
 * (the one after the optional space), so only these few forms need trying.
 */
const BY_PAIR: ReadonlyMap<number, readonly string[]> = (() => {
  const m = new Map<number, string[]>();
  for (const g of EMOTICON_GROUPS) {
    for (const f of g.forms) {
      if (f.length < 2) continue;
      const key = f.charCodeAt(0) * 65536 + f.charCodeAt(1);
      let list = m.get(key);
      if (!list) m.set(key, (list = []));
      list.push(f);
    }
  }
  return m;
})();
const SINGLE_CHARACTER_FORMS: ReadonlyMap<number, readonly string[]> = new Map(EMOTICON_GROUPS.flatMap((g) => g.forms.filter((f) => f.length === 1).map((f) => [f.charCodeAt(0), [f]] as const)));

/**
 * The sentence rewrites of find_tokens, on sentences of tokens joined by single spaces and
 * separated by "\n": RE_SARCASM `\( ?\! ?\)` -> "(!)", then RE_EMOTICONS `(e1|e2|…)($|\s)` -> the
 * emoticon without the spaces inside it, keeping what follows. Both scan left to right, leftmost
 * match first, resuming after each match (Python's re.sub). Linear in the length.
 *
 * Both rewrites only ever delete spaces, so this returns just where: the offsets in `text` of the
 * spaces they delete, in increasing order. The tokenizer joins the tokens on either side of each.
 */
export function spacesDeletedByRewrites(text: string): number[] {
  const sarcasm: number[] = [];
  const s = rewriteSarcasm(text, sarcasm);
  const emoticon = emoticonSpaces(s);
  if (sarcasm.length === 0) return emoticon;
  // Merge the two lists, the second mapped from the offsets of `s` back to those of `text`: a
  // character of `s` at j is at j + (the number of spaces deleted before it) in `text`.
  const removed: number[] = [];
  let k = 0;
  for (const j of emoticon) {
    while (k < sarcasm.length && sarcasm[k]! - k <= j) removed.push(sarcasm[k++]!);
    removed.push(j + k);
  }
  while (k < sarcasm.length) removed.push(sarcasm[k++]!);
  return removed;
}

/** RE_SARCASM `\( ?\! ?\)` -> "(!)"; the offsets of the deleted spaces go to `removed`. */
function rewriteSarcasm(s: string, removed: number[]): string {
  if (s.indexOf('(') < 0) return s;
  let out = '';
  let last = 0;
  for (let p = s.indexOf('('); p >= 0 && p < s.length; p = s.indexOf('(', p)) {
    let q = p + 1;
    const space1 = s.charCodeAt(q) === 0x20 ? q++ : -1;
    if (s.charCodeAt(q) === 0x21) {
      q++;
      const space2 = s.charCodeAt(q) === 0x20 ? q++ : -1;
      if (s.charCodeAt(q) === 0x29) {
        if (space1 >= 0) removed.push(space1);
        if (space2 >= 0) removed.push(space2);
        out += s.slice(last, p) + '(!)';
        last = p = q + 1;
        continue;
      }
    }
    p++;
  }
  return last > 0 ? out + s.slice(last) : s;
}

/** RE_EMOTICONS `(e1|e2|…)($|\s)` -> the emoticon without its spaces: the offsets of those spaces. */
function emoticonSpaces(s: string): number[] {
  const removed: number[] = [];
  let p = 0;
  const n = s.length;
  while (p < n) {
    const c = s.charCodeAt(p);
    let forms: readonly string[] | undefined;
    if (c < 128 ? ASCII_STARTS[c] === 1 : BY_FIRST.has(c)) {
      // No emoticon starting with a character of a longer one is one character long ("♥" alone).
      const q = s.charCodeAt(p + 1) === 0x20 ? p + 2 : p + 1;
      forms = BY_PAIR.get(c * 65536 + s.charCodeAt(q)) ?? SINGLE_CHARACTER_FORMS.get(c);
    }
    if (forms !== undefined) {
      let matched = false;
      for (const form of forms) {
        const q = matchForm(s, p, form);
        // Group 2 `($|\s)`: the end, a space, or the sentence break standing for the end.
        if (q < 0 || (q < n && s.charCodeAt(q) !== 0x20 && s.charCodeAt(q) !== 0x0a)) continue;
        for (let r = p; r < q; r++) if (s.charCodeAt(r) === 0x20) removed.push(r);
        p = q;
        matched = true;
        break;
      }
      if (matched) continue;
    }
    p++;
  }
  return removed;
}
