/**
 * VADER sentiment scoring: the public interface.
 *
 * `vader(text)` returns exactly what vaderSentiment's
 * `SentimentIntensityAnalyzer().polarity_scores(text)` returns (cjhutto/vaderSentiment at 44fc044,
 * under CPython 3.11), rounding included; `vaderDetail(text)` adds the tokens and the sums behind
 * the scores. Pure and synchronous: no I/O, no shared mutable state; the tables are built and
 * frozen at load. See README.md in this folder for the algorithm and its quirks.
 */
import { pyRound } from './python.js';
import { scoreValence, valences } from './score.js';
import { tokenize } from './tokenizer.js';

export { isNegationWord } from './lexicon.js';

export interface VaderScores {
  /** sum of valences (with punctuation emphasis) normalised into [-1, 1], rounded to 4 places. */
  compound: number;
  /** Proportions of the text that are positive, neutral, negative, each rounded to 3 places. */
  pos: number;
  neu: number;
  neg: number;
}

/** One item of VADER's words_and_emoticons list. */
export interface VaderToken {
  /** The token as VADER sees it (emoji replaced by description words: each such word is its own token). */
  word: string;
  /**
   * UTF-16 offset in the ORIGINAL text of the source of this token (for emoji-description words:
   * the emoji's offset). A token made of a description's last word and the text glued after the
   * emoji ("😀good" gives "grinning", "facegood") starts at the emoji.
   */
  offset: number;
  /** UTF-16 length of that source in the original text (emoji: the emoji's length). */
  length: number;
  /**
   * sentiments[i] after all the rules (booster, caps, negation, but, least, idioms, kind of),
   * before punctuation emphasis; 0 for neutral words.
   */
  valence: number;
}

export interface VaderDetail {
  scores: VaderScores;
  tokens: VaderToken[];
  /** Sum of the valences (before punctuation emphasis). */
  sumS: number;
  /** The !/? amplifier VADER adds (to |sumS|, and to the larger of posSum and |negSum|). */
  punctEmphasis: number;
  /** As in _sift_sentiment_scores, after the punctuation adjustment score_valence applies. */
  posSum: number;
  negSum: number;
  neuCount: number;
}

/**
 * What vaderDetail's tokens say in aggregate, without the tokens: the blend model's VADER features,
 * computed with no token string or object (vaderFeatures).
 */
export interface VaderFeatures {
  scores: VaderScores;
  /** As in VaderDetail. */
  sumS: number;
  punctEmphasis: number;
  posSum: number;
  negSum: number;
  neuCount: number;
  /** The number of tokens (VaderDetail's tokens.length). */
  tokens: number;
  /** The largest positive token valence (0 if none), and the most negative one (0 if none). */
  maxPositive: number;
  maxNegative: number;
  /** Tokens with a positive valence, and with a negative one. */
  positiveWords: number;
  negativeWords: number;
  /** Tokens that are negation words (`isNegationWord` in lexicon.ts: NEGATE, "no", "…n't"; 2–9 units). */
  negations: number;
  /** "!" and "?" in the text as given (emoji descriptions' not counted, unlike VADER's own counts). */
  exclamations: number;
  questions: number;
}

function rounded(compound: number, pos: number, neu: number, neg: number): VaderScores {
  return { compound: pyRound(compound, 4), pos: pyRound(pos, 3), neu: pyRound(neu, 3), neg: pyRound(neg, 3) };
}

/** polarity_scores(text). A non-string is scored as its string form. */
export function vader(text: string): VaderScores {
  const t = tokenize(typeof text === 'string' ? text : String(text), false);
  const s = scoreValence(valences(t), t.bangs, t.questions);
  return rounded(s.compound, s.pos, s.neu, s.neg);
}

/** polarity_scores(text), with the tokens and sums behind it. */
export function vaderDetail(text: string): VaderDetail {
  const t = tokenize(typeof text === 'string' ? text : String(text), true);
  const v = valences(t);
  const s = scoreValence(v, t.bangs, t.questions);
  const tokens: VaderToken[] = [];
  for (let i = 0; i < t.n; i++) {
    tokens.push({ word: t.words![i]!, offset: t.starts![i]!, length: t.ends![i]! - t.starts![i]!, valence: v[i]! });
  }
  return {
    scores: rounded(s.compound, s.pos, s.neu, s.neg),
    tokens,
    sumS: s.sumS,
    punctEmphasis: s.punctEmphasis,
    posSum: s.posSum,
    negSum: s.negSum,
    neuCount: s.neuCount,
  };
}

/**
 * polarity_scores(text) and the aggregates of vaderDetail's tokens, without building the tokens:
 * the same scan as vader(), which also counts the negation words. Every number equals what
 * vaderDetail(text) gives or its tokens add up to (test/engine/blend-fast.test.ts).
 */
export function vaderFeatures(text: string): VaderFeatures {
  const t = tokenize(typeof text === 'string' ? text : String(text), false, true);
  const v = valences(t);
  const s = scoreValence(v, t.bangs, t.questions);
  let maxPositive = 0;
  let maxNegative = 0;
  let positiveWords = 0;
  let negativeWords = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x > 0) {
      positiveWords++;
      if (x > maxPositive) maxPositive = x;
    } else if (x < 0) {
      negativeWords++;
      if (x < maxNegative) maxNegative = x;
    }
  }
  return {
    scores: rounded(s.compound, s.pos, s.neu, s.neg),
    sumS: s.sumS,
    punctEmphasis: s.punctEmphasis,
    posSum: s.posSum,
    negSum: s.negSum,
    neuCount: s.neuCount,
    tokens: t.n,
    maxPositive,
    maxNegative,
    positiveWords,
    negativeWords,
    negations: t.negations,
    exclamations: t.bangs - t.descriptionBangs,
    questions: t.questions - t.descriptionQuestions,
  };
}
