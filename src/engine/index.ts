/**
 * Polarity scoring engine: the public interface.
 *
 * `analyze(text)` reproduces TextBlob 0.18's default sentiment analyser
 * (PatternAnalyzer): `TextBlob(text).sentiment` and `.sentiment_assessments`.
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
  polarity: number;
  subjectivity: number;
  assessments: Assessment[];
}

/** Scores `text` exactly as TextBlob(text).sentiment / .sentiment_assessments would. */
export function analyze(text: string): Analysis {
  void text;
  // Placeholder until the scorer lands: neutral, no assessments.
  return { polarity: 0, subjectivity: 0, assessments: [] };
}
