/**
 * splitSentences(text): where the sentences of a text are, as [offset, length] in UTF-16 code
 * units, so that each can be scored on its own by any engine. Independent of the engines: it does
 * not use TextBlob's sentence rules (which only decide where find_tokens' rewrites apply, and which
 * split "Dr. Smith" but not "Great food.Terrible service").
 *
 * The rules, in full:
 *
 * 1. A sentence ends after a run of terminators — ".", "!", "?", "…" — together with the closing
 *    quotes and brackets right after it (" ' ” ’ » ) ] }), when whitespace or the end of the text
 *    follows: "Great food. Terrible service!" is two sentences, "(Great!) Next" too. No whitespace,
 *    no end: decimals ("3.5"), URLs and e-mail addresses ("example.com"), "Great!!!Terrible" stay
 *    whole.
 * 2. A blank line ends a sentence: a run of whitespace holding two or more line breaks ("\n",
 *    "\r\n", "\r", U+2028, U+2029).
 * 3. Rule 1 does not apply
 *    - before the sentence has a letter or digit: "..." or "?!" at its start stays with what
 *      follows;
 *    - to a single "." after
 *      - a title: Mr, Mrs, Ms, Dr, Prof, vs (any case): "Dr. Smith was great." is one sentence;
 *      - an initial, a capital letter alone or after a dot: "J. K. Rowling", "the U.S. economy";
 *      - etc, e.g, i.e, a.m, p.m, approx, incl, cf (any case) when the next word starts with a
 *        lower-case letter: "apples, pears, etc. and more" is one sentence, "…, etc. The rest" two;
 *      - a number that is the sentence's first word, a list marker: "1. Good battery."
 *    So "Plan B. Then" or "the U.S. It" are not split: initials win over the rare sentence that
 *    ends in a capital letter.
 *
 * Each span is trimmed of whitespace (what String.prototype.trim removes), and the spans cover all
 * the non-whitespace content of the text, in order, without overlapping; an empty or whitespace-only
 * text has none. One left-to-right pass: linear time on any input.
 */

/** A sentence: `text.slice(offset, offset + length)`. */
export interface SentenceSpan {
  offset: number;
  length: number;
}

/** JavaScript's whitespace (\s, what trim() removes): WhiteSpace and LineTerminator. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function isTerminator(c: number): boolean {
  return c === 0x2e || c === 0x21 || c === 0x3f || c === 0x2026; // . ! ? …
}

/** Closing quotes and brackets that stay with the terminators before them. */
function isCloser(c: number): boolean {
  return c === 0x22 || c === 0x27 || c === 0x201d || c === 0x2019 || c === 0xbb || c === 0x29 || c === 0x5d || c === 0x7d;
}

/** Opening quotes and brackets, skipped to find the word before a period: "(Dr." is "Dr". */
function isOpener(c: number): boolean {
  return c === 0x22 || c === 0x27 || c === 0x201c || c === 0x2018 || c === 0xab || c === 0x28 || c === 0x5b || c === 0x7b;
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const UPPER = /\p{Lu}/u;
const LOWER = /\p{Ll}/u;

/** Titles: a period after one never ends a sentence (compared lower-cased). */
const TITLES: ReadonlySet<string> = new Set(['mr', 'mrs', 'ms', 'dr', 'prof', 'vs']);
/** A period after one ends a sentence only if the next word does not start in lower case. */
const MID_SENTENCE: ReadonlySet<string> = new Set(['etc', 'e.g', 'i.e', 'a.m', 'p.m', 'approx', 'incl', 'cf']);
/** The longest word in either list. */
const LONGEST_ABBREVIATION = 6;

/** The character at i as a string (a whole surrogate pair if it starts one). */
function charAt(text: string, i: number): string {
  return String.fromCodePoint(text.codePointAt(i)!);
}

/**
 * Rule 3 for a single "." at `dot`: the word before it is text[word, dot) (opening quotes and
 * brackets skipped); the terminators and closers end at `after`. `first`: the word is the
 * sentence's first.
 */
function periodContinues(text: string, word: number, dot: number, after: number, first: boolean): boolean {
  while (word < dot && isOpener(text.charCodeAt(word))) word++;
  const len = dot - word;
  if (len === 0) return false;
  // An initial: a capital letter alone or after a dot ("J.", "U.S.").
  const last = text.charCodeAt(dot - 1);
  if ((len === 1 || text.charCodeAt(dot - 2) === 0x2e) && !(last >= 0xd800 && last <= 0xdfff) && UPPER.test(text[dot - 1]!)) return true;
  // A list marker: "1." starting a sentence.
  if (first && len <= 4) {
    let k = word;
    while (k < dot && text.charCodeAt(k) >= 0x30 && text.charCodeAt(k) <= 0x39) k++;
    if (k === dot) return true;
  }
  if (len > LONGEST_ABBREVIATION) return false;
  const w = text.slice(word, dot).toLowerCase();
  if (TITLES.has(w)) return true;
  if (!MID_SENTENCE.has(w)) return false;
  let k = after;
  while (k < text.length && isSpace(text.charCodeAt(k))) k++;
  return k < text.length && LOWER.test(charAt(text, k));
}

/** The sentences of `text`, in order (see the rules above). */
export function splitSentences(text: string): SentenceSpan[] {
  const out: SentenceSpan[] = [];
  const n = text.length;
  let start = -1; // the current sentence's first non-whitespace character, or -1
  let end = -1; // …and the end of its last one
  let hasLetterOrDigit = false;
  let word = 0; // where the current word (run of non-whitespace) starts
  const close = (): void => {
    if (start >= 0) out.push({ offset: start, length: end - start });
    start = -1;
    hasLetterOrDigit = false;
  };
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      let breaks = 0;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (!isSpace(d)) break;
        if (d === 0x0a || d === 0x2028 || d === 0x2029) breaks++;
        else if (d === 0x0d) {
          breaks++;
          if (text.charCodeAt(i + 1) === 0x0a) i++;
        }
      }
      if (breaks >= 2) close(); // rule 2
      word = i;
      continue;
    }
    if (start < 0) start = i;
    if (isTerminator(c)) {
      let j = i + 1;
      while (j < n && isTerminator(text.charCodeAt(j))) j++;
      const single = j === i + 1 && c === 0x2e;
      while (j < n && isCloser(text.charCodeAt(j))) j++;
      end = j;
      if ((j === n || isSpace(text.charCodeAt(j))) && hasLetterOrDigit && !(single && periodContinues(text, word, i, j, word === start))) {
        close(); // rule 1
      }
      i = j;
      continue;
    }
    if (!hasLetterOrDigit) hasLetterOrDigit = c < 0x80 ? (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) : LETTER_OR_DIGIT.test(charAt(text, i));
    end = ++i;
  }
  close();
  return out;
}
