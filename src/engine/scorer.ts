/**
 * TextBlob 0.18's Sentiment.assessments and Sentiment.__call__ (textblob/_text.py), for words as
 * PatternAnalyzer passes them: lower-cased, with no part-of-speech (pos None).
 *
 * The tokenizers feed words one at a time, already classified (known lexicon word, negation, "!",
 * "(!)", emoticon, anything else), so the fast path can score without building word strings.
 * Every word is fed as exactly one known() or unknown() call (then possibly exclamation(), irony()
 * or mood() for that same word), so the scorer can number the words itself: with `positions`, each
 * chunk also records the number of each of its words, for explain() to map to the text.
 */
import type { Analysis, Assessment, AssessmentLabel } from './index.js';
import type { LexiconEntry } from './lexicon.js';

/** max(-1.0, min(x, +1.0)) */
function clamp(x: number): number {
  return x > 1 ? 1 : x < -1 ? -1 : x;
}

interface Chunk {
  /** The words in order, except those put in front (below). */
  words: string[];
  p: number;
  s: number;
  i: number;
  negated: boolean;
  label: AssessmentLabel;
  /**
   * Negations put in front of the words ("not very good"), most recent last: TextBlob inserts at
   * index 0, which done in place would be quadratic on "very no very no … good". Null when none.
   */
  front: string[] | null;
}

/** With positions: the number of each word of a chunk's `words`, and of its `front`. */
interface ChunkNumbers {
  at: number[];
  front: number[];
}

/** analyze()'s numbers without the assessments themselves (Scorer.summary, analyzeSummary). */
export interface AnalysisSummary {
  polarity: number;
  subjectivity: number;
  /** How many assessments there are. */
  assessments: number;
  /** The largest assessment polarity if any is positive, else 0; the smallest if any is negative, else 0. */
  max: number;
  min: number;
}

/** An assessment with, for each of its words, the number of the word it came from (0-based). */
export type NumberedAssessment = [...Assessment, positions: number[]];

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
  /** With positions, the numbers of each chunk's words (kept apart: the fast path has none). */
  private readonly numbers: ChunkNumbers[] | null;
  /** The number of the current word: known() and unknown() each start a word. */
  private k = -1;
  /** The number of the negation word `n`. */
  private nAt = -1;
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
  private savedK = -1;
  private savedNAt = -1;
  private savedWords = 0;
  private savedFront = 0;
  private savedP = 0;
  private savedS = 0;
  private savedI = 0;
  private savedNegated = false;
  private savedLabel: AssessmentLabel = null;

  /** With `positions`, chunks record the number of each word (see NumberedAssessment). */
  constructor(positions = false) {
    this.numbers = positions ? [] : null;
  }

  /** Remembers the state (at a sentence start), to go back to it with rollback(). */
  mark(): void {
    const a = this.a;
    this.savedCount = a.length;
    this.savedM = this.m;
    this.savedMLy = this.mLy;
    this.savedN = this.n;
    this.savedK = this.k;
    this.savedNAt = this.nAt;
    if (a.length > 0) {
      const last = a[a.length - 1]!;
      this.savedWords = last.words.length;
      this.savedFront = last.front === null ? 0 : last.front.length;
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
    this.k = this.savedK;
    this.nAt = this.savedNAt;
    if (a.length > 0) {
      const last = a[a.length - 1]!;
      last.words.length = this.savedWords;
      if (last.front !== null) last.front.length = this.savedFront;
      last.p = this.savedP;
      last.s = this.savedS;
      last.i = this.savedI;
      last.negated = this.savedNegated;
      last.label = this.savedLabel;
    }
    const numbers = this.numbers;
    if (numbers !== null) {
      numbers.length = a.length;
      if (a.length > 0) {
        const last = numbers[a.length - 1]!;
        last.at.length = this.savedWords;
        last.front.length = this.savedFront;
      }
    }
  }

  /** A word found in the lexicon; `w` is the lower-cased word. */
  known(w: string, e: LexiconEntry): void {
    const a = this.a;
    const k = ++this.k;
    let last: Chunk;
    if (!this.m) {
      last = this.chunk(w, e.polarity, e.subjectivity, e.intensity, e.label as AssessmentLabel);
    } else {
      // Known word after a modifier ("really good"): joins the last chunk.
      last = a[a.length - 1]!;
      last.words.push(w);
      if (this.numbers !== null) this.numbers[a.length - 1]!.at.push(k);
      last.p = clamp(e.polarity * last.i);
      last.s = clamp(e.subjectivity * last.i);
      last.i = e.intensity;
      last.label = e.label as AssessmentLabel;
    }
    if (this.n !== null) {
      // Known word after a negation ("not really good"): TextBlob's ws.insert(0, n).
      (last.front ??= []).push(this.n);
      if (this.numbers !== null) this.numbers[a.length - 1]!.front.push(this.nAt);
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
    const k = ++this.k;
    if (negation !== null) {
      this.n = negation;
      this.nAt = k;
    } else if (this.n !== null && strippedLen > 1) this.n = null; // kept across "a", "'", "!", …
    if (this.n !== null && this.m && this.mLy) {
      // A negation after an "-ly" modifier ("really not good") joins the modifier's chunk.
      const last = this.a[this.a.length - 1]!;
      last.words.push(this.n);
      if (this.numbers !== null) this.numbers[this.a.length - 1]!.at.push(this.nAt);
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
      if (this.numbers !== null) this.numbers[a.length - 1]!.at.push(this.k);
      last.p = clamp(last.p * 1.25);
    }
  }

  /** "(!)" (after unknown()): sarcasm. */
  irony(): void {
    this.chunk('(!)', 0.0, 1.0, 1.0, 'irony');
  }

  /** An emoticon (after unknown()), with its group's polarity. */
  mood(w: string, polarity: number): void {
    this.chunk(w, polarity, 1.0, 1.0, 'mood');
  }

  /** Opens a chunk with the current word. */
  private chunk(w: string, p: number, s: number, i: number, label: AssessmentLabel): Chunk {
    const c: Chunk = { words: [w], p, s, i, negated: false, label, front: null };
    this.a.push(c);
    if (this.numbers !== null) this.numbers.push({ at: [this.k], front: [] });
    return c;
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
      assessments[k] = [withFront(c.front, c.words), p, c.s, c.label];
      sp += p;
      ss += c.s;
    }
    const count = a.length || 1;
    return { polarity: sp / count, subjectivity: ss / count, assessments };
  }

  /**
   * What finish() gives, in aggregate, without building the assessments: the same sums in the same
   * order, so polarity and subjectivity are finish()'s to the last bit; the number of assessments
   * and the largest and smallest assessment polarity (each at most 0 and at least 0: 0 when none).
   */
  summary(): AnalysisSummary {
    const a = this.a;
    let sp = 0;
    let ss = 0;
    let max = 0;
    let min = 0;
    for (let k = 0; k < a.length; k++) {
      const c = a[k]!;
      const p = c.negated ? c.p * -0.5 : c.p;
      sp += p;
      ss += c.s;
      if (p > max) max = p;
      if (p < min) min = p;
    }
    const count = a.length || 1;
    return { polarity: sp / count, subjectivity: ss / count, assessments: a.length, max, min };
  }

  /** finish(), each assessment with the numbers of its words (the scorer was made with positions). */
  finishNumbered(): { polarity: number; subjectivity: number; assessments: NumberedAssessment[] } {
    const { polarity, subjectivity, assessments } = this.finish();
    const numbers = this.numbers!;
    const numbered = assessments.map((x, k): NumberedAssessment => [...x, withFront(numbers[k]!.front, numbers[k]!.at)]);
    return { polarity, subjectivity, assessments: numbered };
  }
}

/** The words put in front (most recent first, as repeated insert(0, …) leaves them), then the rest. */
function withFront<T>(front: T[] | null, rest: T[]): T[] {
  if (front === null || front.length === 0) return rest;
  const all: T[] = [];
  for (let k = front.length - 1; k >= 0; k--) all.push(front[k]!);
  for (const x of rest) all.push(x);
  return all;
}
