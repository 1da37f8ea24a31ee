/**
 * Polarity scoring engine: the public interface.
 *
 * `analyze(text)` reproduces TextBlob 0.18's default sentiment analyser (PatternAnalyzer with the
 * pattern en-sentiment.xml lexicon): `TextBlob(text).sentiment` and `.sentiment_assessments`.
 * Pure and synchronous: no I/O, no shared mutable state; the lexicon is built and frozen at load.
 * See README.md in this folder for the algorithm and its quirks.
 */

/**
 * TextBlob's assessment label: null for plain words, 'mood' for emoticons, 'irony' for "(!)",
 * and 'profanity' for the 12 lexicon words that en-sentiment.xml labels so ("crap", "sucks", …):
 * TextBlob copies the XML `label` attribute into the assessment (Sentiment.load / labeler).
 */
export type AssessmentLabel = null | 'mood' | 'irony' | 'profanity';

/** One scored chunk: the words, their polarity and subjectivity, and the label. */
export type Assessment = [words: string[], polarity: number, subjectivity: number, label: AssessmentLabel];

export interface Analysis {
  /** In [-1, 1]: the mean polarity of the assessments (0 when there are none). */
  polarity: number;
  /** In [0, 1]: the mean subjectivity of the assessments (0 when there are none). */
  subjectivity: number;
  /** The chunks that moved the score, in text order. */
  assessments: Assessment[];
}

/**
 * An assessment with, for each of its words, where the word is in the analysed text: offset and
 * length in UTF-16 code units, so `text.slice(offset, offset + length)` is the word as typed
 * (before lower-casing), or for an emoticon or "(!)" joined from pieces (": )", "( ! )") the
 * whole of it, whitespace included.
 */
export type SpannedAssessment = [words: string[], polarity: number, subjectivity: number, label: AssessmentLabel, spans: [offset: number, length: number][]];

/** analyze()'s result, each assessment with the source of each of its words. */
export interface ExplainedAnalysis {
  polarity: number;
  subjectivity: number;
  assessments: SpannedAssessment[];
}

export { analyze, explain } from './analyze.js';
export { tokenize } from './tokenizer.js';
export { splitSentences, type SentenceSpan } from './sentences.js';
