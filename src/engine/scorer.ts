/**
 * TextBlob 0.18's Sentiment.assessments and Sentiment.__call__ (textblob/_text.py), for words as
 * PatternAnalyzer passes them: lower-cased, with no part-of-speech (pos None).
 *
 * The tokenizers feed words one at a time, already classified (known lexicon word, negation, "!",
 * "(!)", emoticon, anything else), so the fast path can score without building word strings.
 */
import type { Analysis, Assessment, AssessmentLabel } from './index.js';
import type { LexiconEntry } from './lexicon.js';

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
  /** How many words were put in front (negations), so that rollback() can take them out. */
  front: number;
}

/**
 * One text's scoring state. A known word opens a chunk, unless the previous known word was a
 * modifier (has an adverb sense: "very"), in which case it joins that chunk and its scores are
 * multiplied by the modifier's intensity. A negation ("not") before a known word — kept across
 * unknown words of one character ("not a good") — negates the chunk (polarity * -0.5 at the end)
 * and inverts the intensity it passes on. "!" boosts the previous chunk's polarity by 1.25; "(!)"
 * adds an irony chunk; emoticons add mood chunks. Products are clamped to [-1, 1] as in TextBlob.
 */
export class Scorer {
  private readonly a: Chunk[] = [];
  /** A preceding modifier is pending (TextBlob's `m`). */
  private m = false;
  /** …and its word ends with "ly" (TextBlob's `self.modifier(m[0])`). */
  private mLy = false;
  /** A preceding negation word (TextBlob's `n`). */
  private n: string | null = null;

  // The state saved by mark(): the chunk count, m/mLy/n, and the last chunk's mutable fields.
  private savedCount = 0;
  private savedM = false;
  private savedMLy = false;
  private savedN: string | null = null;
  private savedWords = 0;
  private savedFront = 0;
  private savedP = 0;
  private savedS = 0;
  private savedI = 0;
  private savedNegated = false;
  private savedLabel: AssessmentLabel = null;

  /** Remembers the state (at a sentence start), to go back to it with rollback(). */
  mark(): void {
    const a = this.a;
    this.savedCount = a.length;
    this.savedM = this.m;
    this.savedMLy = this.mLy;
    this.savedN = this.n;
    if (a.length > 0) {
      const last = a[a.length - 1]!;
      this.savedWords = last.words.length;
      this.savedFront = last.front;
      this.savedP = last.p;
      this.savedS = last.s;
      this.savedI = last.i;
      this.savedNegated = last.negated;
      this.savedLabel = last.label;
    }
  }

  /** Forgets every word fed since mark(). Only the last chunk can have changed before that. */
  rollback(): void {
    const a = this.a;
    a.length = this.savedCount;
    this.m = this.savedM;
    this.mLy = this.savedMLy;
    this.n = this.savedN;
    if (a.length > 0) {
      const last = a[a.length - 1]!;
      last.words.splice(0, last.front - this.savedFront);
      last.words.length = this.savedWords;
      last.front = this.savedFront;
      last.p = this.savedP;
      last.s = this.savedS;
      last.i = this.savedI;
      last.negated = this.savedNegated;
      last.label = this.savedLabel;
    }
  }

  /** A word found in the lexicon; `w` is the lower-cased word. */
  known(w: string, e: LexiconEntry): void {
    const a = this.a;
    let last: Chunk;
    if (!this.m) {
      last = { words: [w], p: e.polarity, s: e.subjectivity, i: e.intensity, negated: false, label: e.label as AssessmentLabel, front: 0 };
      a.push(last);
    } else {
      // Known word after a modifier ("really good"): joins the last chunk.
      last = a[a.length - 1]!;
      last.words.push(w);
      last.p = clamp(e.polarity * last.i);
      last.s = clamp(e.subjectivity * last.i);
      last.i = e.intensity;
      last.label = e.label as AssessmentLabel;
    }
    if (this.n !== null) {
      // Known word after a negation ("not really good").
      last.words.unshift(this.n);
      last.front++;
      last.i = 1.0 / last.i;
      last.negated = true;
    }
    this.m = e.modifier;
    this.mLy = e.modifier && w.endsWith('ly');
    // No negation word is in the lexicon, so `n` is simply cleared.
    this.n = null;
  }

  /**
   * A word not in the lexicon. `negation` is the word if it is one ("no", "not", "never", "n't"),
   * `len` its length in code points and `strippedLen` that of w.strip("'").
   */
  unknown(negation: string | null, len: number, strippedLen: number): void {
    if (negation !== null) this.n = negation;
    else if (this.n !== null && strippedLen > 1) this.n = null; // kept across "a", "'", "!", …
    if (this.n !== null && this.m && this.mLy) {
      // A negation after an "-ly" modifier ("really not good") joins the modifier's chunk.
      const last = this.a[this.a.length - 1]!;
      last.words.push(this.n);
      last.negated = true;
      this.n = null;
    } else if (this.m && len > 2) {
      this.m = false; // kept across words of up to two characters ("really is a good")
    }
  }

  /** "!" (after unknown()): boosts the previous chunk. */
  exclamation(): void {
    const a = this.a;
    if (a.length > 0) {
      const last = a[a.length - 1]!;
      last.words.push('!');
      last.p = clamp(last.p * 1.25);
    }
  }

  /** "(!)" (after unknown()): sarcasm. */
  irony(): void {
    this.a.push({ words: ['(!)'], p: 0.0, s: 1.0, i: 1.0, negated: false, label: 'irony', front: 0 });
  }

  /** An emoticon (after unknown()), with its group's polarity. */
  mood(w: string, polarity: number): void {
    this.a.push({ words: [w], p: polarity, s: 1.0, i: 1.0, negated: false, label: 'mood', front: 0 });
  }

  /**
   * The assessments and their averages: Sentiment.__call__'s avg is a left-to-right sum divided
   * by the count (or by 1 when empty), the same float operations in the same order as CPython.
   */
  finish(): Analysis {
    const a = this.a;
    const assessments: Assessment[] = new Array(a.length);
    let sp = 0;
    let ss = 0;
    for (let k = 0; k < a.length; k++) {
      const c = a[k]!;
      // "not good" = slightly bad, "not bad" = slightly good.
      const p = c.negated ? c.p * -0.5 : c.p;
      assessments[k] = [c.words, p, c.s, c.label];
      sp += p;
      ss += c.s;
    }
    const count = a.length || 1;
    return { polarity: sp / count, subjectivity: ss / count, assessments };
  }
}
