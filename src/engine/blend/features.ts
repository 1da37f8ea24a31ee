/**
 * The blend model's candidate features, computed from what the two engines already return — the
 * TextBlob analysis (polarity, subjectivity, assessments), VADER's detail (scores, sums, tokens
 * with their valences) — and one scan of the text for '!', '?' and emoji. Nothing is tokenised
 * again. The trained model (weights.ts) uses a subset of them, by name; training and the tests
 * see all of them, so an ablation can say what each one adds (README.md, "Features").
 */
import { analyze, type Analysis } from '../index.js';
import { vaderDetail, type VaderDetail } from '../vader/index.js';

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

/** VADER's NEGATE list (vaderSentiment.py, 44fc044) plus TextBlob's "no". */
const NEGATIONS: ReadonlySet<string> = new Set([
  'aint', 'arent', 'cannot', 'cant', 'couldnt', 'darent', 'didnt', 'doesnt', "ain't", "aren't", "can't", "couldn't",
  "daren't", "didn't", "doesn't", 'dont', 'hadnt', 'hasnt', 'havent', 'isnt', 'mightnt', 'mustnt', 'neither', "don't",
  "hadn't", "hasn't", "haven't", "isn't", "mightn't", "mustn't", 'neednt', "needn't", 'never', 'none', 'nope', 'nor',
  'not', 'nothing', 'nowhere', 'oughtnt', 'shant', 'shouldnt', 'uhuh', 'wasnt', 'werent', "oughtn't", "shan't",
  "shouldn't", 'uh-uh', "wasn't", "weren't", 'without', 'wont', 'wouldnt', "won't", "wouldn't", 'rarely', 'seldom',
  'despite', 'no',
]);

/** Ends in "n't" (VADER's negated() counts any word containing it; its tokens end there). */
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
  Array.from({ length: 26 * 10 }, (_, k) => Object.freeze([...NEGATIONS].filter((w) => (w.charCodeAt(0) - 0x61) * 10 + w.length === k))),
);

function isNegation(word: string): boolean {
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
 * same text; those in ON_REQUEST only when `all` (else NaN). Indexed loops and a fresh array
 * literal: this runs once per blend() call.
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
    if (isNegation(w)) negations++;
    else if (all && isBut(w)) buts++;
    if (all && isCapsWord(w)) caps++;
  }
  // The text: '!' and '?' (native searches).
  let ex = 0;
  let qm = 0;
  for (let i = text.indexOf('!'); i >= 0 && ex < 4; i = text.indexOf('!', i + 1)) ex++;
  for (let i = text.indexOf('?'); i >= 0 && qm < 4; i = text.indexOf('?', i + 1)) qm++;
  const s = vd.scores;
  return [
    tb.polarity,
    tb.subjectivity,
    tb.polarity * Math.sqrt(n),
    Math.log1p(n),
    tbMax,
    tbMin,
    all ? negated : NaN,
    all ? moods : NaN,
    s.compound,
    s.pos,
    s.neu,
    s.neg,
    vd.sumS,
    vd.punctEmphasis,
    vd.posSum,
    vd.negSum,
    vMax,
    vMin,
    pos,
    neg,
    negations,
    all ? buts : NaN,
    ex,
    qm,
    all ? caps : NaN,
    all ? emoji : NaN,
    Math.log1p(tokens.length),
    tb.polarity * s.compound,
    n === 0 ? s.compound : 0,
    pos + neg === 0 ? tb.polarity : 0,
  ];
}

/** Every candidate feature of `text`, from both engines (what training reads; blend() uses a subset). */
export function blendFeatures(text: string): number[] {
  return extractFeatures(text, analyze(text), vaderDetail(text));
}
