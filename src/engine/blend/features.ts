/**
 * The blend model's candidate features, computed from what the two engines already return — the
 * TextBlob analysis (polarity, subjectivity, assessments), VADER's detail (scores, sums, tokens
 * with their valences) — and the text's '!', '?' and emoji. Nothing is tokenised again. The
 * trained model (weights.ts) uses a subset of them, by name; training and the tests see all of
 * them, so an ablation can say what each one adds (README.md, "Features").
 *
 * Two ways to the same numbers: extractFeatures from analyze() and vaderDetail() (blendDetail,
 * training: every feature), and fastFeatures from the engines' summaries, analyzeSummary() and
 * vaderFeatures(), which build no assessment, token string or token object (blend(): every
 * feature but those ON_REQUEST). Both end in featureVector; test/engine/blend-fast.test.ts checks
 * they agree to the last bit.
 */
import { analyzeSummary } from '../analyze.js';
import { analyze, type Analysis } from '../index.js';
import type { AnalysisSummary } from '../scorer.js';
import { isNegationWord, vaderDetail, vaderFeatures, type VaderDetail, type VaderFeatures } from '../vader/index.js';

/** Every candidate feature, in the order of the vector extractFeatures fills. */
export const FEATURE_NAMES = [
  // TextBlob
  'tbPolarity', // the mean polarity of the assessments
  'tbSubjectivity',
  'tbEvidence', // polarity × √(number of assessments): the sum of the chunks' polarities / √n
  'tbAssessments', // log(1 + number of assessments)
  'tbMax', // the most positive assessment's polarity (0 if none is positive)
  'tbMin', // the most negative assessment's polarity (0 if none is negative)
  'tbNegated', // assessments negated by "not", "no" or "never"
  'tbEmoticons', // assessments that are emoticons (label 'mood')
  // VADER
  'vCompound',
  'vPos',
  'vNeu',
  'vNeg',
  'vSum', // sumS: the sum of the valences, before punctuation emphasis
  'vPunct', // punctEmphasis
  'vPosSum',
  'vNegSum',
  'vMaxPositive', // the largest positive token valence (0 if none)
  'vMaxNegative', // the most negative token valence (0 if none)
  'vPositiveWords', // tokens with a positive valence
  'vNegativeWords', // tokens with a negative valence
  // the text
  'negations', // VADER tokens that negate: VADER's NEGATE list, "no", and any word ending in "n't"
  'buts', // VADER tokens "but"
  'exclamations', // '!' in the text, at most 4 (VADER's own cap)
  'questions', // '?' in the text, at most 4
  'capsWords', // VADER tokens of ≥ 2 letters, all of them capitals
  'emoji', // VADER tokens that come from an emoji or pictograph (U+2600–27BF, U+1F000–1FAFF), one per emoji
  'logTokens', // log(1 + number of VADER tokens)
  // interactions
  'tbTimesVader', // tbPolarity × vCompound
  'vaderIfNoTextblob', // vCompound when TextBlob found nothing to assess, else 0
  'textblobIfNoVader', // tbPolarity when no VADER token has a valence, else 0
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];

/**
 * Candidates the shipped model does not use and that cost a test per token: extractFeatures
 * computes them only when asked to (training, or a model that uses one); otherwise they are NaN,
 * so a model that needed one and was not given it could not go unnoticed.
 */
export const ON_REQUEST: ReadonlySet<FeatureName> = new Set<FeatureName>(['tbNegated', 'tbEmoticons', 'buts', 'capsWords', 'emoji']);
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** All letters capitals, at least two of them (VADER's ALL-CAPS emphasis, roughly: str.isupper). */
function isCapsWord(word: string): boolean {
  const c0 = word.charCodeAt(0);
  if (word.length < 2 || c0 > 0x5a) return false; // most words: a small letter first
  let letters = 0;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) letters++;
    else if ((c >= 0x61 && c <= 0x7a) || c > 0x7f) return false;
  }
  return letters >= 2;
}

/** U+2600–27BF (symbols, dingbats) or a high surrogate of U+1F000–1FAFF (emoji). */
function isPictograph(c: number): boolean {
  return c >= 0x2600 && (c <= 0x27bf || (c >= 0xd83c && c <= 0xd83e));
}

/** "but", any case, without allocating. */
function isBut(w: string): boolean {
  return w.length === 3 && (w.charCodeAt(0) | 0x20) === 0x62 && (w.charCodeAt(1) | 0x20) === 0x75 && (w.charCodeAt(2) | 0x20) === 0x74;
}

/**
 * The features of `text` (FEATURE_NAMES order), given TextBlob's analysis and VADER's detail of that
 * same text; those in ON_REQUEST only when `all` (else NaN). Indexed loops: this runs once per
 * blendDetail() call (blend() takes the summaries directly, fastFeatures).
 */
export function extractFeatures(text: string, tb: Analysis, vd: VaderDetail, all = true): number[] {
  // TextBlob's assessments.
  const assessments = tb.assessments;
  const n = assessments.length;
  let tbMax = 0;
  let tbMin = 0;
  let negated = 0;
  let moods = 0;
  for (let a = 0; a < n; a++) {
    const chunk = assessments[a]!;
    const p = chunk[1];
    if (p > tbMax) tbMax = p;
    if (p < tbMin) tbMin = p;
    if (!all) continue;
    if (chunk[3] === 'mood') moods++;
    const words = chunk[0];
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (w === 'not' || w === 'no' || w === 'never') {
        negated++;
        break;
      }
    }
  }
  // VADER's tokens.
  let vMax = 0;
  let vMin = 0;
  let pos = 0;
  let neg = 0;
  let negations = 0;
  let buts = 0;
  let caps = 0;
  let emoji = 0;
  let emojiAt = -1;
  const tokens = vd.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    // An emoji's description words all point at it: count it once.
    if (all && t.offset !== emojiAt && isPictograph(text.charCodeAt(t.offset))) {
      emoji++;
      emojiAt = t.offset;
    }
    const v = t.valence;
    if (v > 0) {
      pos++;
      if (v > vMax) vMax = v;
    } else if (v < 0) {
      neg++;
      if (v < vMin) vMin = v;
    }
    const w = t.word;
    if (isNegationWord(w)) negations++;
    else if (all && isBut(w)) buts++;
    if (all && isCapsWord(w)) caps++;
  }
  const tbs: AnalysisSummary = { polarity: tb.polarity, subjectivity: tb.subjectivity, assessments: n, max: tbMax, min: tbMin };
  const vf: VaderFeatures = {
    scores: vd.scores,
    sumS: vd.sumS,
    punctEmphasis: vd.punctEmphasis,
    posSum: vd.posSum,
    negSum: vd.negSum,
    neuCount: vd.neuCount,
    tokens: tokens.length,
    maxPositive: vMax,
    maxNegative: vMin,
    positiveWords: pos,
    negativeWords: neg,
    negations,
    // The text: '!' and '?' (native searches; at most 4 are counted).
    exclamations: count(text, '!'),
    questions: count(text, '?'),
  };
  return all ? featureVector(tbs, vf, negated, moods, buts, caps, emoji) : featureVector(tbs, vf, NaN, NaN, NaN, NaN, NaN);
}

/**
 * The features of `text` but those in ON_REQUEST (NaN), from the two engines' summaries: TextBlob's
 * numbers without the assessments (analyzeSummary) and VADER's without the tokens (vaderFeatures).
 * Equal, number for number, to extractFeatures(text, analyze(text), vaderDetail(text), false);
 * what blend() runs (test/engine/blend.test.ts compares the two on the corpus and random strings).
 */
export function fastFeatures(text: string): number[] {
  return featureVector(analyzeSummary(text), vaderFeatures(text), NaN, NaN, NaN, NaN, NaN);
}

/** `mark` in `text`, up to 4. */
function count(text: string, mark: string): number {
  let n = 0;
  for (let i = text.indexOf(mark); i >= 0 && n < 4; i = text.indexOf(mark, i + 1)) n++;
  return n;
}

/** The vector, from the summaries and the ON_REQUEST counts (or NaN). */
function featureVector(tb: AnalysisSummary, v: VaderFeatures, negated: number, moods: number, buts: number, caps: number, emoji: number): number[] {
  const ex = v.exclamations < 4 ? v.exclamations : 4;
  const qm = v.questions < 4 ? v.questions : 4;
  const n = tb.assessments;
  const s = v.scores;
  return [
    tb.polarity,
    tb.subjectivity,
    tb.polarity * Math.sqrt(n),
    Math.log1p(n),
    tb.max,
    tb.min,
    negated,
    moods,
    s.compound,
    s.pos,
    s.neu,
    s.neg,
    v.sumS,
    v.punctEmphasis,
    v.posSum,
    v.negSum,
    v.maxPositive,
    v.maxNegative,
    v.positiveWords,
    v.negativeWords,
    v.negations,
    buts,
    ex,
    qm,
    caps,
    emoji,
    Math.log1p(v.tokens),
    tb.polarity * s.compound,
    n === 0 ? s.compound : 0,
    v.positiveWords + v.negativeWords === 0 ? tb.polarity : 0,
  ];
}

/** Every candidate feature of `text`, from both engines (what training reads; blend() uses a subset). */
export function blendFeatures(text: string): number[] {
  return extractFeatures(text, analyze(text), vaderDetail(text));
}
