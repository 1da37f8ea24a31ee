/**
 * SentimentIntensityAnalyzer's rules on the tokens (vaderSentiment.py at 44fc044), in its order
 * of floating-point operations: polarity_scores' loop and sentiment_valence (with
 * scalar_inc_dec, _negation_check, _special_idioms_check, _least_check), _but_check, and
 * score_valence (with _punctuation_emphasis, normalize, _sift_sentiment_scores).
 */
import { BOOSTER_PHRASES, BOOSTER_SCALAR, BOOSTS, IN_LEXICON, knownId, NEGATES, pairKey, SPECIAL_PHRASES, tripleKey, UPPER, VALENCE } from './lexicon.js';
import { ALPHA, C_INCR, EP_MAX, EP_STEP, N_SCALAR, QM_MAX, QM_STEP, RULE_WORDS } from './rules.js';
import type { Tokens } from './tokenizer.js';

const NO = knownId(RULE_WORDS.no);
const OR = knownId(RULE_WORDS.or);
const NOR = knownId(RULE_WORDS.nor);
const KIND = knownId(RULE_WORDS.kind);
const OF = knownId(RULE_WORDS.of);
const NEVER = knownId(RULE_WORDS.never);
const SO = knownId(RULE_WORDS.so);
const THIS = knownId(RULE_WORDS.this);
const WITHOUT = knownId(RULE_WORDS.without);
const DOUBT = knownId(RULE_WORDS.doubt);
const LEAST = knownId(RULE_WORDS.least);
const AT = knownId(RULE_WORDS.at);
const VERY = knownId(RULE_WORDS.very);
const BUT = knownId(RULE_WORDS.but);

/** allcap_differential: some tokens are ALL CAPS, but not all of them. */
function capDifferential(t: Tokens): boolean {
  let caps = 0;
  for (let i = 0; i < t.n; i++) if (t.flags[i]! & UPPER) caps++;
  return caps > 0 && caps < t.n;
}

/**
 * sentiments[i] for every token, as polarity_scores builds the list, then _but_check. A token
 * gets 0 unless it is a lexicon word, not a booster, and not "kind" before "of".
 */
export function valences(t: Tokens): number[] {
  const { n, ids, flags } = t;
  const capDiff = capDifferential(t);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const f = flags[i]!;
    if (!(f & IN_LEXICON) || f & BOOSTS || (ids[i] === KIND && i < n - 1 && ids[i + 1] === OF)) out[i] = 0;
    else out[i] = wordValence(t, i, capDiff);
  }
  butCheck(ids, out);
  return out;
}

/** sentiment_valence for the lexicon word at i. */
function wordValence(t: Tokens, i: number, capDiff: boolean): number {
  const { n, ids, flags } = t;
  const base = VALENCE[ids[i]!]!;
  let v = base;
  // "no" before another lexicon word only negates it ("no good"), and counts 0 itself.
  if (ids[i] === NO && i !== n - 1 && flags[i + 1]! & IN_LEXICON) v = 0.0;
  if ((i > 0 && ids[i - 1] === NO) || (i > 1 && ids[i - 2] === NO) || (i > 2 && ids[i - 3] === NO && (ids[i - 1] === OR || ids[i - 1] === NOR))) {
    v = base * N_SCALAR;
  }
  // ALL CAPS among words that are not: away from zero (a 0.0 valence goes down).
  if (flags[i]! & UPPER && capDiff) v = v > 0 ? v + C_INCR : v - C_INCR;
  for (let start = 0; start < 3; start++) {
    const j = i - start - 1;
    if (j < 0 || flags[j]! & IN_LEXICON) continue;
    let s = scalarIncDec(ids[j]!, flags[j]!, v, capDiff);
    // the booster's effect fades with distance
    if (start === 1 && s !== 0) s = s * 0.95;
    if (start === 2 && s !== 0) s = s * 0.9;
    v = v + s;
    v = negationCheck(t, v, start, i);
    if (start === 2) v = specialIdiomsCheck(t, v, i);
  }
  return leastCheck(t, v, i);
}

/** scalar_inc_dec: a booster's push, in the direction of the valence; more when ALL CAPS. */
function scalarIncDec(id: number, f: number, valence: number, capDiff: boolean): number {
  if (!(f & BOOSTS)) return 0.0;
  let s = BOOSTER_SCALAR[id]!;
  if (valence < 0) s = s * -1;
  if (f & UPPER && capDiff) s = valence > 0 ? s + C_INCR : s - C_INCR;
  return s;
}

/**
 * _negation_check for the word `start + 1` places before i. Two quirks kept: "never so/this"
 * boosts instead of negating; and three places back, the test is
 * `w[i-3] == "never" and w[i-2] in (so, this) or w[i-1] in (so, this)` — Python's precedence
 * makes any "so"/"this" just before the word multiply it by 1.25.
 */
function negationCheck(t: Tokens, v: number, start: number, i: number): number {
  const { ids, flags } = t;
  if (start === 0) {
    if (flags[i - 1]! & NEGATES) v = v * N_SCALAR;
  } else if (start === 1) {
    if (ids[i - 2] === NEVER && (ids[i - 1] === SO || ids[i - 1] === THIS)) v = v * 1.25;
    else if (ids[i - 2] === WITHOUT && ids[i - 1] === DOUBT) {
      // "without doubt" does not negate
    } else if (flags[i - 2]! & NEGATES) v = v * N_SCALAR;
  } else {
    if ((ids[i - 3] === NEVER && (ids[i - 2] === SO || ids[i - 2] === THIS)) || ids[i - 1] === SO || ids[i - 1] === THIS) {
      v = v * 1.25;
    } else if (ids[i - 3] === WITHOUT && (ids[i - 2] === DOUBT || ids[i - 1] === DOUBT)) {
      // "without a doubt" does not negate
    } else if (flags[i - 3]! & NEGATES) v = v * N_SCALAR;
  }
  return v;
}

function pair(a: number, b: number, table: ReadonlyMap<number, number>): number | undefined {
  return a < 0 || b < 0 ? undefined : table.get(pairKey(a, b));
}
function triple(a: number, b: number, c: number, table: ReadonlyMap<number, number>): number | undefined {
  return a < 0 || b < 0 || c < 0 ? undefined : table.get(tripleKey(a, b, c));
}

/**
 * _special_idioms_check (only reached for i > 2): the first idiom among "w[i-1] w[i]",
 * "w[i-2] w[i-1] w[i]", "w[i-2] w[i-1]", "w[i-3] w[i-2] w[i-1]", "w[i-3] w[i-2]" replaces the
 * valence, then "w[i] w[i+1]" and "w[i] w[i+1] w[i+2]" may replace it again; then a booster
 * phrase before the word ("kind of") adds its scalar, whatever the valence's sign.
 */
function specialIdiomsCheck(t: Tokens, v: number, i: number): number {
  const { n, ids } = t;
  const w3 = ids[i - 3]!;
  const w2 = ids[i - 2]!;
  const w1 = ids[i - 1]!;
  const w0 = ids[i]!;
  const idiom = pair(w1, w0, SPECIAL_PHRASES) ?? triple(w2, w1, w0, SPECIAL_PHRASES) ?? pair(w2, w1, SPECIAL_PHRASES) ?? triple(w3, w2, w1, SPECIAL_PHRASES) ?? pair(w3, w2, SPECIAL_PHRASES);
  if (idiom !== undefined) v = idiom;
  if (n - 1 > i) {
    const after = pair(w0, ids[i + 1]!, SPECIAL_PHRASES);
    if (after !== undefined) v = after;
  }
  if (n - 1 > i + 1) {
    const after = triple(w0, ids[i + 1]!, ids[i + 2]!, SPECIAL_PHRASES);
    if (after !== undefined) v = after;
  }
  // n_grams = [threetwoone, threetwo, twoone]
  const b3 = triple(w3, w2, w1, BOOSTER_PHRASES);
  if (b3 !== undefined) v = v + b3;
  const b32 = pair(w3, w2, BOOSTER_PHRASES);
  if (b32 !== undefined) v = v + b32;
  const b21 = pair(w2, w1, BOOSTER_PHRASES);
  if (b21 !== undefined) v = v + b21;
  return v;
}

/** _least_check: "least good" negates, "at least good" and "very least good" do not. */
function leastCheck(t: Tokens, v: number, i: number): number {
  const { ids, flags } = t;
  if (i > 1 && !(flags[i - 1]! & IN_LEXICON) && ids[i - 1] === LEAST) {
    if (ids[i - 2] !== AT && ids[i - 2] !== VERY) v = v * N_SCALAR;
  } else if (i > 0 && !(flags[i - 1]! & IN_LEXICON) && ids[i - 1] === LEAST) {
    v = v * N_SCALAR;
  }
  return v;
}

/**
 * _but_check, quirk for quirk. With `bi` the first "but", the original runs
 *   for sentiment in sentiments: si = sentiments.index(sentiment); replace sentiments[si] by
 *   sentiment * 0.5 if si < bi, * 1.5 if si > bi
 * which scales the FIRST element equal to each value, not necessarily the element itself: with
 * [1, 0.5, "but"] the second step finds the 0.5 that the first step made and halves it again,
 * giving [0.25, 0.5]. Done literally that is quadratic; this is the same in linear time:
 * at step k, positions ≥ k still hold their original values (an earlier step only writes at or
 * before its own position), so the value is s[k], and `index` is the smallest position < k now
 * holding it, else k. `at` maps each non-zero value to the positions < k holding it, ascending.
 * Zeros stay zero whatever they are multiplied by; only their sign can change (the first zero
 * takes the sign of the last zero, unless it is the "but"), which only the detail shows.
 */
export function butCheck(ids: readonly number[], s: number[]): void {
  const bi = ids.indexOf(BUT);
  if (bi < 0) return;
  const scale = (pos: number, v: number): number => (pos < bi ? v * 0.5 : pos > bi ? v * 1.5 : v);
  const at = new Map<number, number[]>();
  const add = (v: number, pos: number): void => {
    const list = at.get(v);
    if (list === undefined) at.set(v, [pos]);
    else if (pos > list[list.length - 1]!) list.push(pos);
    else {
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]! < pos) lo = mid + 1;
        else hi = mid;
      }
      list.splice(lo, 0, pos);
    }
  };
  let firstZero = -1;
  for (let k = 0; k < s.length; k++) {
    const v = s[k]!;
    if (v === 0) {
      if (firstZero < 0) firstZero = k;
      if (firstZero !== bi) s[firstZero] = scale(firstZero, v);
      continue;
    }
    const list = at.get(v);
    if (list === undefined || list.length === 0) {
      const nv = scale(k, v);
      s[k] = nv;
      add(nv, k);
    } else {
      const j = list.shift()!;
      const nv = scale(j, v);
      s[j] = nv;
      add(nv, j);
      add(v, k);
    }
  }
}

/** What score_valence computes besides the rounded scores. */
export interface Summary {
  compound: number;
  pos: number;
  neu: number;
  neg: number;
  sumS: number;
  punctEmphasis: number;
  posSum: number;
  negSum: number;
  neuCount: number;
}

/** _punctuation_emphasis: _amplify_ep + _amplify_qm. */
export function punctuationEmphasis(bangs: number, questions: number): number {
  const ep = Math.min(bangs, EP_MAX) * EP_STEP;
  const qm = questions > 1 ? (questions <= 3 ? questions * QM_STEP : QM_MAX) : 0;
  return ep + qm;
}

/** normalize(score, alpha=15) */
function normalize(score: number): number {
  const norm = score / Math.sqrt(score * score + ALPHA);
  return norm < -1.0 ? -1.0 : norm > 1.0 ? 1.0 : norm;
}

/** score_valence before rounding. No tokens: all zero. */
export function scoreValence(s: readonly number[], bangs: number, questions: number): Summary {
  if (s.length === 0) {
    return { compound: 0, pos: 0, neu: 0, neg: 0, sumS: 0, punctEmphasis: 0, posSum: 0, negSum: 0, neuCount: 0 };
  }
  // float(sum(sentiments)): left to right from 0
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i]!;
  const punct = punctuationEmphasis(bangs, questions);
  let sumS = sum;
  if (sumS > 0) sumS += punct;
  else if (sumS < 0) sumS -= punct;
  const compound = normalize(sumS);
  // _sift_sentiment_scores: a word counts 1 plus its valence (neutral words count 1)
  let posSum = 0.0;
  let negSum = 0.0;
  let neuCount = 0;
  for (let i = 0; i < s.length; i++) {
    const v = s[i]!;
    if (v > 0) posSum += v + 1;
    if (v < 0) negSum += v - 1;
    if (v === 0) neuCount += 1;
  }
  if (posSum > Math.abs(negSum)) posSum += punct;
  else if (posSum < Math.abs(negSum)) negSum -= punct;
  const total = posSum + Math.abs(negSum) + neuCount;
  return {
    compound,
    pos: Math.abs(posSum / total),
    neu: Math.abs(neuCount / total),
    neg: Math.abs(negSum / total),
    sumS: sum,
    punctEmphasis: punct,
    posSum,
    negSum,
    neuCount,
  };
}
