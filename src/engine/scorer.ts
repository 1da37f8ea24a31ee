/**
 * TextBlob 0.18's Sentiment.assessments and Sentiment.__call__ (textblob/_text.py), for a list of
 * words as PatternAnalyzer passes them: lower-cased, with no part-of-speech (pos None).
 */
import type { Assessment, AssessmentLabel } from './index.js';
import { EMOTICON_POLARITY } from './emoticons.js';
import { LEXICON } from './lexicon.js';
import { codePointLength, pyLower } from './unicode.js';

/** Sentiment.negations of textblob/en/__init__.py. ("n't" never survives the tokenizer.) */
function isNegation(w: string): boolean {
  return w === 'not' || w === 'no' || w === 'never' || w === "n't";
}

/** max(-1.0, min(x, +1.0)) */
function clamp(x: number): number {
  return x > 1 ? 1 : x < -1 ? -1 : x;
}

interface Chunk {
  words: string[];
  p: number;
  s: number;
  i: number;
  negated: boolean;
  label: AssessmentLabel;
}

/**
 * Scores the words left to right. A known word opens a chunk, unless the previous known word was
 * a modifier (an adverb: "very"), in which case it joins that chunk and its scores are multiplied
 * by the modifier's intensity. A negation ("not") before a known word — kept across unknown words
 * of one character, e.g. "not a good" — negates the chunk (polarity * -0.5 at the end) and inverts
 * the intensity it passes on. "!" boosts the previous chunk's polarity by 1.25; "(!)" adds an
 * irony chunk; emoticons add mood chunks. All values are clamped to [-1, 1] as in TextBlob.
 */
export function assess(tokens: readonly string[]): Assessment[] {
  const a: Chunk[] = [];
  let m: string | null = null; // preceding modifier (its word)
  let n: string | null = null; // preceding negation
  for (const raw of tokens) {
    const w = pyLower(raw);
    const e = LEXICON.get(w);
    if (e !== undefined) {
      if (m === null) {
        a.push({ words: [w], p: e.polarity, s: e.subjectivity, i: e.intensity, negated: false, label: e.label as AssessmentLabel });
      } else {
        // Known word after a modifier ("really good"): joins the last chunk.
        const last = a[a.length - 1]!;
        last.words.push(w);
        last.p = clamp(e.polarity * last.i);
        last.s = clamp(e.subjectivity * last.i);
        last.i = e.intensity;
        last.label = e.label as AssessmentLabel;
      }
      if (n !== null) {
        // Known word after a negation ("not really good").
        const last = a[a.length - 1]!;
        last.words.unshift(n);
        last.i = 1.0 / last.i;
        last.negated = true;
      }
      m = e.modifier ? w : null;
      n = isNegation(w) ? w : null;
      continue;
    }
    // Unknown word.
    if (isNegation(w)) {
      n = w;
    } else if (n !== null && (w === "'" ? 0 : codePointLength(w)) > 1) {
      // Retain the negation across one-character words ("not a good"); w.strip("'") can only
      // differ from w for the token "'" itself, since the tokenizer isolates every "'".
      n = null;
    }
    if (n !== null && m !== null && m.endsWith('ly')) {
      // A negation after an "-ly" modifier ("really not good") joins the modifier's chunk.
      const last = a[a.length - 1]!;
      last.words.push(n);
      last.negated = true;
      n = null;
    } else if (m !== null && codePointLength(w) > 2) {
      // Retain the modifier across words of up to two characters ("really is a good").
      m = null;
    }
    if (w === '!') {
      if (a.length > 0) {
        const last = a[a.length - 1]!;
        last.words.push('!');
        last.p = clamp(last.p * 1.25);
      }
    } else if (w === '(!)') {
      a.push({ words: [w], p: 0.0, s: 1.0, i: 1.0, negated: false, label: 'irony' });
    } else {
      const mood = EMOTICON_POLARITY.get(w);
      if (mood !== undefined) a.push({ words: [w], p: mood, s: 1.0, i: 1.0, negated: false, label: 'mood' });
    }
  }
  const out: Assessment[] = new Array(a.length);
  for (let k = 0; k < a.length; k++) {
    const c = a[k]!;
    // "not good" = slightly bad, "not bad" = slightly good.
    out[k] = [c.words, c.negated ? c.p * -0.5 : c.p, c.s, c.label];
  }
  return out;
}

/**
 * Sentiment.__call__'s avg: a plain left-to-right sum divided by the count (or by 1 when empty),
 * the same float operations in the same order as CPython.
 */
export function average(assessments: readonly Assessment[], column: 1 | 2): number {
  let s = 0;
  for (const x of assessments) s += x[column];
  return s / (assessments.length || 1);
}
