/**
 * TextBlob 0.18's tokenizer (textblob/_text.py find_tokens) as PatternAnalyzer uses it:
 * `" ".join(find_tokens(text)).split()`, i.e. the words of all sentences in order.
 *
 * find_tokens is a chain of whole-string rewrites and regexes; this is a single left-to-right
 * scan that produces the same tokens, in linear time, without regexes:
 *
 * 1. Contractions: `re.sub` of "'d", "'m", "'s", "'ll", "'re", "'ve" and "n't" to the same with a
 *    space before. Then every ASCII quote ' and " (and “ ” ‘ ’) is surrounded by spaces, so every
 *    quote character is a token of its own and the contraction rule's only lasting effect is a
 *    break before the "n" of "n't": "isn't" -> "is n ' t" (there is never an "n't" token).
 * 2. "\r\n" -> "\n"; two or more consecutive "\n" -> " END-OF-SENTENCE "; every run of Python
 *    whitespace -> " "; then split on spaces.
 * 3. Each space-separated token loses its leading punctuation (one token per character) and its
 *    trailing punctuation, "..." and "." (unless an abbreviation), in find_tokens' loop order.
 * 4. Sentences end after ".", "!", "?", "..." or END-OF-SENTENCE, taking along following closers
 *    (”, ’, ), and more terminators); END-OF-SENTENCE tokens are dropped.
 * 5. In each sentence (tokens joined by spaces) "( ! )" becomes "(!)" and emoticons written with
 *    spaces (": )") are joined (see emoticons.ts).
 */
import { formsStartingWith, LONGEST_FORM, mayStartPair, mightPair, spacesDeletedByRewrites } from './emoticons.js';
import { isPySpace } from './unicode.js';

/** What find_tokens puts for a paragraph break; typing it literally has the same effect. */
export const EOS = 'END-OF-SENTENCE';

/** PUNCTUATION minus "." (find_tokens strips periods separately), by char code. */
const PUNCT = new Uint8Array(128);
for (const ch of ',;:!?()[]{}`\'"@#$^&*+-|=~_') PUNCT[ch.charCodeAt(0)] = 1;

/** One-character strings for ASCII, so splitting punctuation allocates nothing. */
const ASCII: readonly string[] = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));

/** Common abbreviations kept whole (find_tokens ABBREVIATIONS); all are at most 5 characters. */
const ABBREVIATIONS: ReadonlySet<string> = new Set([
  'a.',
  'adj.',
  'adv.',
  'al.',
  'a.m.',
  'c.',
  'cf.',
  'comp.',
  'conf.',
  'def.',
  'ed.',
  'e.g.',
  'esp.',
  'etc.',
  'ex.',
  'f.',
  'fig.',
  'gen.',
  'id.',
  'i.e.',
  'int.',
  'l.',
  'm.',
  'Med.',
  'Mil.',
  'Mr.',
  'n.',
  'n.q.',
  'orig.',
  'pl.',
  'pred.',
  'pres.',
  'p.m.',
  'ref.',
  'v.',
  'vs.',
  'w/',
]);

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * The character class of RE_ABBR3 `^[A-Z][b|c|d|…|z]+.$`: it is written with "|" between the
 * consonants, so "|" is in the class too.
 */
function isAbbr3Class(c: number): boolean {
  switch (c) {
    case 0x62:
    case 0x63:
    case 0x64:
    case 0x66:
    case 0x67:
    case 0x68:
    case 0x6a:
    case 0x6b:
    case 0x6c:
    case 0x6d:
    case 0x6e:
    case 0x70:
    case 0x71:
    case 0x72:
    case 0x73:
    case 0x74:
    case 0x76:
    case 0x77:
    case 0x78:
    case 0x7a:
    case 0x7c:
      return true;
    default:
      return false;
  }
}

/**
 * Receives find_tokens' tokens in order. A word is a span of the text; every other token is a
 * single character (punctuation split off a word, a quote, a period), "..." or END-OF-SENTENCE.
 */
export interface TokenSink {
  /** A word: text[s, e). */
  word(s: number, e: number): void;
  /** A one-character token: the character c at offset `at`. */
  char(c: number, at: number): void;
  /** "..." (from the dots starting at offset `at`). */
  ellipsis(at: number): void;
  /** END-OF-SENTENCE: from a paragraph break, or `literal`ly in the text. */
  endOfSentence(literal: boolean): void;
  /** An emoticon written as a word of its own, at offset `at`: the word the rewrite makes of it. */
  emoticon(form: string, at: number): void;
  /** Set by the sink to stop the scan early; tokens already on their way may still arrive. */
  readonly halted: boolean;
}

/**
 * Splits one space-separated token text[s, e) into find_tokens' tokens.
 */
function splitToken(text: string, s: number, e: number, sink: TokenSink): void {
  // Leading punctuation, one token per character.
  let c = text.charCodeAt(s);
  while (c < 128 && PUNCT[c] === 1) {
    sink.char(c, s);
    if (++s === e) return;
    c = text.charCodeAt(s);
  }
  const last = text.charCodeAt(e - 1);
  if (last >= 128 || (PUNCT[last] === 0 && last !== 0x2e))
    emitWord(text, s, e, sink); // nothing trailing
  else splitTrailing(text, s, e, sink);
}

/** A word — unless it is a literal END-OF-SENTENCE, which find_tokens cannot tell from its own. */
function emitWord(text: string, s: number, e: number, sink: TokenSink): void {
  if (e - s === EOS.length && text.charCodeAt(s) === 0x45 && text.startsWith(EOS, s)) sink.endOfSentence(true);
  else sink.word(s, e);
}

/** A peeled piece is the offset of its character, or -(offset + 2) for "..."; -1 is none. */
const NO_PIECE = -1;

/**
 * Trailing punctuation, "..." and "." of text[s, e) — the second loop of find_tokens. Pieces are
 * peeled off right to left and emitted left to right afterwards. Every abbreviation test is O(1)
 * thanks to two prefix lengths computed at most once, so the whole split is linear even for a
 * megabyte of ".).).)".
 */
function splitTrailing(text: string, s: number, e: number, sink: TokenSink): void {
  let first = NO_PIECE; // the first piece peeled, kept out of the array in the common one-piece case
  let more: number[] | null = null;
  let pairs = -1; // length of the longest prefix of text[s, …) matching ([A-Za-z]\.)*
  let consonants = -1; // length of the run of RE_ABBR3 class characters from s + 1
  while (e > s) {
    const c = text.charCodeAt(e - 1);
    const punct = c < 128 && PUNCT[c] === 1;
    if (!punct && c !== 0x2e) break;
    if (punct) {
      e--;
      if (first === NO_PIECE) first = e;
      else (more ??= []).push(e);
    }
    // Split an ellipsis before splitting a period: t = t[:-3].rstrip(".")
    if (e - s >= 3 && text.charCodeAt(e - 1) === 0x2e && text.charCodeAt(e - 2) === 0x2e && text.charCodeAt(e - 3) === 0x2e) {
      e -= 3;
      if (first === NO_PIECE) first = -(e + 2);
      else (more ??= []).push(-(e + 2));
      while (e > s && text.charCodeAt(e - 1) === 0x2e) e--;
    }
    if (e > s && text.charCodeAt(e - 1) === 0x2e) {
      // Is text[s, e) an abbreviation? Then the period stays and the loop ends.
      const len = e - s;
      if (len <= 5 && ABBREVIATIONS.has(text.slice(s, e))) break;
      // RE_ABBR1 ^[A-Za-z]\.$ and RE_ABBR2 ^([A-Za-z]\.)+$
      if (len % 2 === 0) {
        if (pairs < 0) {
          pairs = 0;
          while (s + pairs + 1 < e && isAsciiLetter(text.charCodeAt(s + pairs)) && text.charCodeAt(s + pairs + 1) === 0x2e) pairs += 2;
        }
        if (len <= pairs) break;
      }
      // RE_ABBR3 ^[A-Z][b|c|…|z]+.$ — the final "." of the pattern is any character; here the period.
      const c0 = text.charCodeAt(s);
      if (len >= 3 && c0 >= 0x41 && c0 <= 0x5a) {
        if (consonants < 0) {
          consonants = 0;
          while (s + 1 + consonants < e && isAbbr3Class(text.charCodeAt(s + 1 + consonants))) consonants++;
        }
        if (len - 2 <= consonants) break;
      }
      e--;
      if (first === NO_PIECE) first = e;
      else (more ??= []).push(e);
    }
  }
  if (e > s) emitWord(text, s, e, sink);
  if (more !== null) for (let k = more.length - 1; k >= 0; k--) emitPiece(text, more[k]!, sink);
  if (first !== NO_PIECE) emitPiece(text, first, sink);
}

function emitPiece(text: string, piece: number, sink: TokenSink): void {
  if (piece >= 0) sink.char(text.charCodeAt(piece), piece);
  else sink.ellipsis(-piece - 2);
}

/** What the scanner does with an ASCII character. */
const ORDINARY = 0;
const SPACE = 1; // Python whitespace other than "\n" and "\r"
const LF = 2;
const CR = 3;
const QUOTE = 4; // ' and ": replace("'", " ' ") etc.
const LETTER_N = 5; // a break before the n of "n't"
const KIND = new Uint8Array(128);
for (const c of [0x09, 0x0b, 0x0c, 0x1c, 0x1d, 0x1e, 0x1f, 0x20]) KIND[c] = SPACE;
KIND[0x0a] = LF;
KIND[0x0d] = CR;
KIND[0x27] = QUOTE;
KIND[0x22] = QUOTE;
KIND[0x6e] = LETTER_N;
/** ASCII characters that simply extend a word: ORDINARY, not "n", not a pair start. */
const PLAIN = new Uint8Array(128);
for (let c = 0x21; c < 128; c++) if (KIND[c] === ORDINARY && !mayStartPair(c)) PLAIN[c] = 1;
/** Letters and digits that are not PLAIN but usually are: "n" ("n't") and "o", "x", "X", "8". */
const ALMOST_PLAIN = new Uint8Array(128);
for (const ch of 'noxX8') ALMOST_PLAIN[ch.charCodeAt(0)] = 1;

/**
 * Steps 1–3: feeds find_tokens' tokens (END-OF-SENTENCE markers included) to the sink, from
 * offset `from`, which must be where a sentence starts (or 0). With `stopAtRewrite`, returns
 * false as soon as the text might hold a sarcasm mark or an emoticon written with spaces (see
 * firstPossibleRewrite) — the caller then needs find_tokens' sentence rewrites for the current
 * sentence; otherwise returns true (at the end of the text, or when the sink halted).
 */
export function scan(text: string, sink: TokenSink, stopAtRewrite: boolean, from = 0): boolean {
  const n = text.length;
  let start = -1; // start of the current space-separated token
  let newlines = 0; // "\n" (or "\r\n") seen in a row
  let prevFirst = false; // the previous non-space character can start an emoticon or "(!)"
  let prevAt = -1; // …and where it is
  for (let i = from; i < n; i++) {
    let c = text.charCodeAt(i);
    // The common case first: a run of letters and digits inside a word, none of them able to
    // start an emoticon, and no pending paragraph break.
    if (c < 128 && PLAIN[c] === 1 && newlines === 0 && !prevFirst) {
      if (start < 0) start = i;
      i = plainRunEnd(text, i);
      if (i === n) break;
      c = text.charCodeAt(i);
      prevFirst = false; // text[i - 1] is PLAIN, or a letter that makes no pair with text[i]
    }
    const kind = kindAt(text, i, c);
    if (kind === LF) {
      if (start >= 0) {
        splitToken(text, start, i, sink);
        start = -1;
        if (sink.halted) return true;
      }
      newlines++;
      if (c === 0x0d) i++; // "\r\n"
      continue;
    }
    if (newlines !== 0) {
      if (newlines >= 2) sink.endOfSentence(false); // re.sub(r"\n{2,}", " END-OF-SENTENCE ")
      newlines = 0;
    }
    if (kind === SPACE) {
      if (start >= 0) {
        splitToken(text, start, i, sink);
        start = -1;
        if (sink.halted) return true;
      }
      continue;
    }
    if (stopAtRewrite) {
      if (prevFirst && mightPair(text.charCodeAt(prevAt), c)) {
        const form = firstPossibleRewrite(text, prevAt);
        if (form !== null) {
          // The common case, an emoticon written as a word of its own (" :-) "), needs no
          // sentence: it is the word. Anything else takes the full path.
          if (start !== prevAt || !isStandalone(text, prevAt, form)) return false;
          sink.emoticon(form, prevAt);
          if (sink.halted) return true;
          start = -1;
          prevFirst = false;
          i = prevAt + form.length - 1;
          continue;
        }
      }
      if (c === 0x2665) return false; // "♥"
      prevFirst = mayStartPair(c);
      prevAt = i;
    }
    if (kind === ORDINARY) {
      if (start < 0) start = i;
    } else {
      start = quoteOrN(text, kind, c, i, start, sink);
      if (sink.halted) return true;
    }
  }
  if (start >= 0) splitToken(text, start, n, sink);
  if (newlines >= 2) sink.endOfSentence(false);
  return true;
}

/**
 * Where the run of word characters starting at text[i] (PLAIN) ends: the end of the text, or the
 * first character the general path of scan() must see.
 */
function plainRunEnd(text: string, i: number): number {
  const n = text.length;
  let c = 0;
  while (++i < n && (c = text.charCodeAt(i)) < 128) {
    if (PLAIN[c] === 1) continue;
    if (ALMOST_PLAIN[c] === 0) break;
    // "n", "o", "x", "X", "8" need the general path only before "'t" (n) or before a
    // character that would make a pair with them (or a space, which a pair may span).
    const d = text.charCodeAt(i + 1);
    if (c === 0x6e ? d === 0x27 && text.charCodeAt(i + 2) === 0x74 : !(d < 128 && PLAIN[d] === 1 && !mightPair(c, d))) break;
  }
  return i;
}

/** What the scanner does with c = text[i]: a "\r\n" is one LF, a lone "\r" a SPACE. */
function kindAt(text: string, i: number, c: number): number {
  if (c >= 128) return nonAsciiKind(c);
  const kind = KIND[c]!;
  if (kind !== CR) return kind;
  return text.charCodeAt(i + 1) === 0x0a ? LF : SPACE;
}

/** Python whitespace is a SPACE, and “ ” ‘ ’ are quotes like ' and " (find_tokens replaces them alike). */
function nonAsciiKind(c: number): number {
  if (isPySpace(c)) return SPACE;
  return c >= 0x2018 && c <= 0x201d && c !== 0x201a && c !== 0x201b ? QUOTE : ORDINARY;
}

/** Whether "'t" follows text[i]. */
function isNtAt(text: string, i: number): boolean {
  return text.charCodeAt(i + 1) === 0x27 && text.charCodeAt(i + 2) === 0x74;
}

/**
 * At c = text[i], a QUOTE or an "n": a quote is a token of its own; re.sub("n't", " n't") puts a
 * break before the n of "n't". Returns where the current token starts now (-1: none).
 */
function quoteOrN(text: string, kind: number, c: number, i: number, start: number, sink: TokenSink): number {
  if (kind === QUOTE) {
    if (start >= 0) splitToken(text, start, i, sink);
    sink.char(c, i);
    return -1;
  }
  if (!isNtAt(text, i)) return start < 0 ? i : start;
  if (start >= 0) splitToken(text, start, i, sink);
  return i;
}

/** Whether text[i] ends a space-separated token, or could be split from what follows it. */
function mayEndToken(text: string, i: number): boolean {
  if (i >= text.length) return true;
  const d = text.charCodeAt(i);
  if (d < 128) {
    const kind = KIND[d]!;
    if (kind === SPACE || kind === LF || kind === CR || kind === QUOTE) return true;
    if (PUNCT[d] === 1 || d === 0x2e) return true; // peeled off as trailing punctuation
    return kind === LETTER_N && isNtAt(text, i);
  }
  return nonAsciiKind(d) !== ORDINARY;
}

/**
 * The first sarcasm mark or emoticon, in alternation order, that could match in find_tokens'
 * sentences starting with the character text[p], or null: its characters must follow one another
 * in the text, whitespace aside, and its last character must end a token (or be punctuation, which
 * may be split off on its own). An over-approximation of the regexes (whitespace runs, dropped
 * dots), but precise enough that URLs ("http://") and "so. Or" keep the fast path.
 */
function firstPossibleRewrite(text: string, p: number): string | null {
  // The next few non-space characters after p, each whitespace run skipped once.
  const at: number[] = [p];
  for (let q = p + 1; at.length < LONGEST_FORM && q < text.length; q++) if (!isPySpace(text.charCodeAt(q))) at.push(q);
  if (at.length < 2) return null;
  for (const form of formsStartingWith(text.charCodeAt(p), text.charCodeAt(at[1]!))) {
    if (form.length > at.length) continue;
    let k = 1;
    while (k < form.length && text.charCodeAt(at[k]!) === form.charCodeAt(k)) k++;
    if (k < form.length) continue;
    const last = form.charCodeAt(form.length - 1);
    if ((last < 128 && PUNCT[last] === 1) || mayEndToken(text, at[k - 1]! + 1)) return form;
  }
  return null;
}

/**
 * Whether `form`, the first possible rewrite at p (where a space-separated token starts), is an
 * emoticon written exactly as that whole token: then the regex matches it there and nothing else —
 * an earlier alternative would have been found first by firstPossibleRewrite, a match starting
 * earlier was ruled out when the scan passed it, and the text after it is whitespace. The one
 * exception is the sarcasm rewrite, which runs first and could take a final "(" ("( !)").
 */
function isStandalone(text: string, p: number, form: string): boolean {
  const end = p + form.length;
  if (form === '(!)' || !text.startsWith(form, p)) return false;
  if (end < text.length && !isPySpace(text.charCodeAt(end))) return false;
  if (form.charCodeAt(form.length - 1) === 0x28) {
    let q = end;
    while (q < text.length && isPySpace(text.charCodeAt(q))) q++;
    if (text.charCodeAt(q) === 0x21) return false;
  }
  return true;
}

/** Collects the tokens as strings. */
class StringSink implements TokenSink {
  readonly tokens: string[] = [];
  readonly halted = false;
  constructor(private readonly text: string) {}
  word(s: number, e: number): void {
    this.tokens.push(this.text.slice(s, e));
  }
  char(c: number): void {
    this.tokens.push(c < 128 ? ASCII[c]! : String.fromCharCode(c));
  }
  ellipsis(): void {
    this.tokens.push('...');
  }
  endOfSentence(): void {
    this.tokens.push(EOS);
  }
  emoticon(): never {
    throw new Error('scan() only reports emoticons with stopAtRewrite');
  }
}

/** Steps 1–3 as strings: the flat token list, END-OF-SENTENCE markers included. */
export function findTokens(text: string): string[] {
  const sink = new StringSink(text);
  scan(text, sink, false);
  return sink.tokens;
}

/** Separates sentences in the string the rewrites run on: a space can never be skipped over it. */
const SENTENCE_BREAK = '\n';

/**
 * Step 4, streaming: collects the tokens, with a SENTENCE_BREAK where find_tokens ends a sentence
 * and without END-OF-SENTENCE, and where each token is in the text. A sentence ends after a
 * terminator (".", "!", "?", "..." or END-OF-SENTENCE) and the closers that follow it
 * (terminators, ")", "”", "’"). find_tokens also lists ' and " as closers but stops at them
 * whenever the sentence holds an even number of them — and the list it counts in is always still
 * empty then, so it always stops.
 *
 * Every token is a slice of the text as typed (a word, one character, or the last three dots of
 * a run), so its source is just its start; END-OF-SENTENCE, the dots before an ellipsis and the
 * whitespace are the only things find_tokens drops.
 */
class SentenceSink implements TokenSink {
  readonly pieces: string[] = [];
  /** The offset in the text of each piece (-1 for a SENTENCE_BREAK). */
  readonly starts: number[] = [];
  /** After a terminator: closers still belong to the sentence. */
  private closing = false;
  halted = false;
  /** With `oneSentence`: the offset where the next sentence starts, once halted. */
  next = -1;
  constructor(
    private readonly text: string,
    private readonly oneSentence: boolean,
  ) {}
  private add(t: string, terminator: boolean, closer: boolean, at: number): void {
    if (this.halted) return;
    if (this.closing && !closer) {
      if (this.oneSentence) {
        this.halted = true;
        this.next = at;
        return;
      }
      this.pieces.push(SENTENCE_BREAK);
      this.starts.push(-1);
      this.closing = false;
    }
    this.pieces.push(t);
    this.starts.push(at);
    if (terminator) this.closing = true;
  }
  word(s: number, e: number): void {
    // A word is never a terminator or a closer: those are always split off as char tokens.
    this.add(this.text.slice(s, e), false, false, s);
  }
  char(c: number, at: number): void {
    const terminator = c === 0x2e || c === 0x21 || c === 0x3f; // . ! ?
    this.add(c < 128 ? ASCII[c]! : String.fromCharCode(c), terminator, terminator || isCloserChar(c), at);
  }
  ellipsis(at: number): void {
    this.add('...', true, true, at);
  }
  endOfSentence(): void {
    if (!this.halted) this.closing = true; // a terminator, and a closer, that is dropped
  }
  emoticon(): never {
    throw new Error('scan() only reports emoticons with stopAtRewrite');
  }
}

/** ")", "”" and "’": closers that do not end a sentence by themselves. */
export function isCloserChar(c: number): boolean {
  return c === 0x29 || c === 0x201d || c === 0x2019;
}

/**
 * Receives a word PatternAnalyzer scores (before lower-casing) and where it came from: the text
 * from `start` to `end` (exclusive), which is the word as typed — or, for an emoticon or "(!)"
 * the rewrites joined from several tokens (": )", "( ! )"), the word with whitespace in between
 * (and any END-OF-SENTENCE dropped there: "= END-OF-SENTENCE )" is the emoticon "=)").
 */
export type WordCallback = (word: string, start: number, end: number) => void;

/**
 * Step 5 on the collected sentences, then the words: find_tokens runs its two rewrites sentence by
 * sentence; here they run once over all sentences joined by " " within a sentence and "\n" between
 * sentences. No match can cross a "\n" (the patterns only skip spaces), and "\n" satisfies the
 * emoticon pattern's `($|\s)` exactly where the sentence end would — so the result is the same,
 * with one string instead of one per sentence. The rewrites only delete spaces, so each word of
 * the result is one token or several consecutive ones, and its source runs from the first one's
 * start to the last one's end.
 */
function emitWords(sink: SentenceSink, each: WordCallback): void {
  const { pieces, starts } = sink;
  const removed = spacesDeletedByRewrites(pieces.join(' '));
  let r = 0; // the next deleted space
  let pos = 0; // where pieces[k] starts in the joined string
  for (let k = 0; k < pieces.length; ) {
    if (pieces[k] === SENTENCE_BREAK) {
      pos += SENTENCE_BREAK.length + 1;
      k++;
      continue;
    }
    // pieces[k], and the next ones as long as the space before them was deleted.
    const first = k;
    let word = pieces[k]!;
    pos += word.length;
    while (r < removed.length && removed[r] === pos) {
      r++;
      word += pieces[++k]!;
      pos += 1 + pieces[k]!.length;
    }
    each(word, starts[first]!, starts[k]! + pieces[k]!.length);
    pos++; // the space after it
    k++;
  }
}

/**
 * The full path for one sentence: find_tokens' tokens of the sentence starting at `start`, with
 * its rewrites applied, passed to `each` as words. Returns where the next sentence starts, or -1
 * at the end of the text.
 */
export function forEachWordOfSentence(text: string, start: number, each: WordCallback): number {
  const sink = new SentenceSink(text, true);
  scan(text, sink, false, start);
  emitWords(sink, each);
  return sink.next;
}

/**
 * Steps 4 and 5: calls `each` with the words PatternAnalyzer scores,
 * `" ".join(find_tokens(text)).split()`, before lower-casing, and where each is in the text —
 * from `start`, a sentence start.
 */
export function forEachWord(text: string, each: WordCallback, start = 0): void {
  const sink = new SentenceSink(text, false);
  scan(text, sink, false, start);
  emitWords(sink, each);
}

/** The words PatternAnalyzer scores, `" ".join(find_tokens(text)).split()`, before lower-casing. */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  forEachWord(text, (w) => words.push(w));
  return words;
}
