/**
 * analyze(): tokenizer + scorer, with a fast path for the common text.
 */
import type { Analysis, ExplainedAnalysis, SpannedAssessment } from './index.js';
import { classify, classifySpan, NON_ASCII } from './lexicon.js';
import { Scorer, type AnalysisSummary } from './scorer.js';
import { forEachWord, forEachWordOfSentence, isCloserChar, scan, type TokenSink } from './tokenizer.js';
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
 * for unknown words. It is exact as long as find_tokens' sentence rewrites (sarcasm mark,
 * emoticons written with spaces) change nothing; the scanner stops where one might, and
 * analyze() then rolls the scorer back to the start of the sentence and takes the full path for
 * that one sentence. So the sink follows sentence boundaries too, marking the scorer at each.
 */
class ScoringSink implements TokenSink {
  /** Stopped at a literal END-OF-SENTENCE; later tokens are ignored. */
  halted = false;
  /** After a terminator: closers still belong to the sentence. */
  private closing = false;
  /** Where the current sentence starts. */
  sentenceStart = 0;
  /** A literal END-OF-SENTENCE was seen in the current sentence (see endOfSentence). */
  literalEndOfSentence = false;

  constructor(
    private readonly text: string,
    private readonly scorer: Scorer,
  ) {}

  /** Starts scanning at `from`, a sentence start. */
  restart(from: number): void {
    this.halted = false;
    this.closing = false;
    this.sentenceStart = from;
    this.literalEndOfSentence = false;
    this.scorer.mark();
  }

  /** A token that is not a closer: after a terminator, it starts a sentence. */
  private opens(at: number): void {
    if (this.closing) {
      this.closing = false;
      this.sentenceStart = at;
      this.scorer.mark();
    }
  }

  word(s: number, e: number): void {
    if (this.halted) return;
    this.opens(s);
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

  char(c: number, at: number): void {
    if (this.halted) return;
    const terminator = c === 0x2e || c === 0x21 || c === 0x3f; // . ! ?
    if (!terminator && !isCloserChar(c)) this.opens(at);
    // No single character is a lexicon word or a negation (checked by a unit test).
    this.scorer.unknown(null, 1, c === 0x27 ? 0 : 1);
    if (c === 0x21) this.scorer.exclamation();
    if (terminator) this.closing = true;
  }

  ellipsis(): void {
    if (this.halted) return;
    this.scorer.unknown(null, 3, 3);
    this.closing = true;
  }

  emoticon(form: string, at: number): void {
    if (this.halted) return;
    this.opens(at);
    feedWord(this.scorer, pyLower(form));
  }

  endOfSentence(literal: boolean): void {
    // Dropped by find_tokens. Dropping one typed in the text can bring the characters around it
    // together in a sentence ("*END-OF-SENTENCE)" -> "* )" -> the emoticon "*)"), which the
    // scanner's character-pair test cannot see: that sentence takes the full path.
    if (this.halted) return;
    if (literal) this.literalEndOfSentence = this.halted = true;
    this.closing = true;
  }
}

/** After this many sentences needed the full path, the rest of the text takes it at once. */
const FALLBACKS_BEFORE_FULL_PATH = 16;

/** Scores `text` exactly as TextBlob(text).sentiment / .sentiment_assessments would. */
export function analyze(text: string): Analysis {
  const scorer = new Scorer();
  score(String(text), scorer);
  return scorer.finish();
}

/**
 * analyze(text)'s polarity and subjectivity (to the last bit), the number of assessments and their
 * largest and smallest polarity, without building the assessments (what the blend model reads).
 */
export function analyzeSummary(text: string): AnalysisSummary {
  const scorer = new Scorer();
  score(String(text), scorer);
  return scorer.summary();
}

/** Feeds every word of `input` to `scorer`: the fast path, sentence by sentence where it cannot be. */
function score(input: string, scorer: Scorer): void {
  const sink = new ScoringSink(input, scorer);
  // Only a sentence that needs the full path needs this (made then: most texts never do).
  let feed: ((w: string) => void) | null = null;
  let from = 0;
  for (let fallbacks = 0; ; fallbacks++) {
    sink.restart(from);
    if (scan(input, sink, true, from) && !sink.literalEndOfSentence) break;
    // The sentence that starts at sink.sentenceStart may need find_tokens' rewrites.
    scorer.rollback();
    feed ??= (w: string): void => feedWord(scorer, pyLower(w));
    if (fallbacks === FALLBACKS_BEFORE_FULL_PATH) {
      // A text full of emoticons: the full path for the rest is cheaper than sentence by sentence.
      forEachWord(input, feed, sink.sentenceStart);
      break;
    }
    from = forEachWordOfSentence(input, sink.sentenceStart, feed);
    if (from < 0) break;
  }
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

/**
 * analyze() with the source of every assessment word: the full path, the scorer numbering the
 * words it is fed and the tokenizer saying where each word is in the text (see README.md).
 */
export function explain(text: string): ExplainedAnalysis {
  const input = String(text);
  const scorer = new Scorer(true);
  const starts: number[] = [];
  const ends: number[] = [];
  forEachWord(input, (w, s, e) => {
    starts.push(s);
    ends.push(e);
    feedWord(scorer, pyLower(w));
  });
  const { polarity, subjectivity, assessments } = scorer.finishNumbered();
  return {
    polarity,
    subjectivity,
    assessments: assessments.map(([words, p, s, label, numbers]): SpannedAssessment => [words, p, s, label, numbers.map((k) => [starts[k]!, ends[k]! - starts[k]!])]),
  };
}
