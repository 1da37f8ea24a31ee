/**
 * analyze(): tokenizer + scorer, with a fast path for the common text.
 */
import type { Analysis } from './index.js';
import { classify, classifySpan, NON_ASCII } from './lexicon.js';
import { Scorer } from './scorer.js';
import { forEachWord, scan, type TokenSink } from './tokenizer.js';
import { codePointLength, pyLower } from './unicode.js';

/** Python's len(w.strip("'")). */
function strippedLength(w: string): number {
  let s = 0;
  let e = w.length;
  while (s < e && w.charCodeAt(s) === 0x27) s++;
  while (e > s && w.charCodeAt(e - 1) === 0x27) e--;
  return s === 0 && e === w.length ? codePointLength(w) : codePointLength(w.slice(s, e));
}

/** Feeds one lower-cased word to the scorer (the general path: any word, any characters). */
function feedWord(scorer: Scorer, w: string): void {
  if (w.length === 1 && w.charCodeAt(0) < 128) {
    // One ASCII character: never a lexicon word, negation or emoticon (see lexicon.test.ts).
    scorer.unknown(null, 1, w === "'" ? 0 : 1);
    if (w === '!') scorer.exclamation();
    return;
  }
  const c = classify(w);
  if (typeof c === 'object' && c.kind === 'word') {
    scorer.known(w, c);
    return;
  }
  scorer.unknown(typeof c === 'string' ? c : null, codePointLength(w), strippedLength(w));
  if (w === '(!)') scorer.irony();
  else if (typeof c === 'object') scorer.mood(w, c.polarity);
}

/**
 * The fast path: scores tokens as the scanner finds them, without building sentences or strings
 * for unknown words. Only valid for texts where find_tokens' sentence rewrites (sarcasm mark,
 * emoticons written with spaces) cannot match — the scanner stops when it sees a character pair
 * that could start one — so that the words are simply the tokens minus END-OF-SENTENCE.
 */
class ScoringSink implements TokenSink {
  constructor(
    private readonly text: string,
    readonly scorer: Scorer,
  ) {}
  word(s: number, e: number): void {
    const c = classifySpan(this.text, s, e);
    if (c === NON_ASCII) {
      feedWord(this.scorer, pyLower(this.text.slice(s, e)));
    } else if (typeof c === 'object' && c.kind === 'word') {
      this.scorer.known(c.word, c);
    } else {
      // An ASCII span never contains "'" (the scanner isolates every quote): len = strip len.
      this.scorer.unknown(typeof c === 'string' ? c : null, e - s, e - s);
      // A word can be an emoticon without the sentence rewrites: "O.o" scores as "o.o".
      if (typeof c === 'object') this.scorer.mood(c.word, c.polarity);
    }
  }
  char(c: number): void {
    // No single character is a lexicon word or a negation (checked by a unit test).
    this.scorer.unknown(null, 1, c === 0x27 ? 0 : 1);
    if (c === 0x21) this.scorer.exclamation();
  }
  ellipsis(): void {
    this.scorer.unknown(null, 3, 3);
  }
  emoticon(form: string): void {
    feedWord(this.scorer, pyLower(form));
  }
  /** A literal END-OF-SENTENCE was seen (see analyze). */
  literalEndOfSentence = false;
  endOfSentence(literal: boolean): void {
    // Dropped by find_tokens. Dropping one typed in the text can bring the characters around it
    // together in a sentence ("*END-OF-SENTENCE)" -> "* )" -> the emoticon "*)"), which the
    // scanner's character-pair test cannot see.
    if (literal) this.literalEndOfSentence = true;
  }
}

/** Scores `text` exactly as TextBlob(text).sentiment / .sentiment_assessments would. */
export function analyze(text: string): Analysis {
  const input = String(text);
  const fast = new ScoringSink(input, new Scorer());
  if (scan(input, fast, true) && !fast.literalEndOfSentence) return fast.scorer.finish();
  // A sarcasm mark or an emoticon may need find_tokens' sentence rewrites.
  return analyzeFullPath(input);
}

/**
 * The general path: find_tokens in full (sentences, sarcasm and emoticon rewrites), then the
 * words one by one. analyze() gives the same result faster; tests compare the two.
 */
export function analyzeFullPath(text: string): Analysis {
  const scorer = new Scorer();
  forEachWord(text, (w) => feedWord(scorer, pyLower(w)));
  return scorer.finish();
}

