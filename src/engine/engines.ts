/**
 * The three scorers behind one call, for the HTTP API, the CLI and imports.
 *
 * - `textblob` (the default): TextBlob 0.18's polarity, bit for bit — what the original Flask app
 *   answered, so its clients see no difference. Label by the sign of the score.
 * - `vader`: vaderSentiment's `compound` (cjhutto/vaderSentiment at 44fc044), exactly. Label by
 *   VADER's own documented convention: positive at compound ≥ 0.05, negative at ≤ −0.05.
 * - `blend`: a small model trained on human ratings over both engines' outputs and features
 *   (see blend/README.md); the most accurate of the three. Label thresholds: blend/README.md.
 *
 * Every engine answers a `subjectivity`: TextBlob's, the only one of the three that measures it.
 * Pure and synchronous, like the engines themselves.
 */
import { analyzeSummary } from './analyze.js';
import { analyze, explain, type SpannedAssessment } from './index.js';
import { splitSentences } from './sentences.js';
import { vader, vaderDetail, type VaderScores } from './vader/index.js';
import { blend, blendDetail, BLEND_LABEL_THRESHOLD, type BlendContribution } from './blend/index.js';

export const ENGINE_NAMES = ['textblob', 'vader', 'blend'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];
export const DEFAULT_ENGINE: EngineName = 'textblob';

export type Label = 'positive' | 'negative' | 'neutral';

export function isEngineName(name: unknown): name is EngineName {
  return typeof name === 'string' && (ENGINE_NAMES as readonly string[]).includes(name);
}

/**
 * A score at or beyond ±threshold is positive/negative, anything nearer 0 neutral. TextBlob has no
 * neutral band (the original page coloured > 0 green, everything else red); VADER's authors
 * recommend ±0.05 for compound; blend's band was chosen on cross-validation (blend/README.md).
 */
const LABEL_THRESHOLD: Readonly<Record<EngineName, number>> = Object.freeze({
  textblob: 0,
  vader: 0.05,
  blend: BLEND_LABEL_THRESHOLD,
});

export function labelOf(sentiment: number, engine: EngineName = 'textblob'): Label {
  const t = LABEL_THRESHOLD[engine];
  if (t === 0) return sentiment > 0 ? 'positive' : sentiment < 0 ? 'negative' : 'neutral';
  return sentiment >= t ? 'positive' : sentiment <= -t ? 'negative' : 'neutral';
}

/** A word (or emoji) that moved a VADER score, with its valence after VADER's rules. */
export interface WordValence {
  word: string;
  /** UTF-16 code units into the analysed text. */
  offset: number;
  length: number;
  valence: number;
}

export interface Score {
  engine: EngineName;
  sentiment: number;
  subjectivity: number;
  label: Label;
  /** VADER's four numbers (engine `vader` only). */
  vader?: VaderScores;
}

export interface Explanation {
  /** textblob: TextBlob's assessments plus each word's [offset, length]; vader and blend: the words that carry valence. */
  assessments: SpannedAssessment[] | WordValence[];
  /** blend only: each feature's share of the score, largest first. */
  contributions?: BlendContribution[];
}

export interface SentenceScore extends Score {
  offset: number;
  length: number;
}

function valences(tokens: readonly { word: string; offset: number; length: number; valence: number }[]): WordValence[] {
  const out: WordValence[] = [];
  for (const t of tokens) if (t.valence !== 0) out.push({ word: t.word, offset: t.offset, length: t.length, valence: t.valence });
  return out;
}

/** Scores `text` with `engine`. */
export function score(text: string, engine: EngineName): Score {
  if (engine === 'textblob') {
    const r = analyze(text);
    return { engine, sentiment: r.polarity, subjectivity: r.subjectivity, label: labelOf(r.polarity, engine) };
  }
  if (engine === 'vader') {
    const v = vader(text);
    return { engine, sentiment: v.compound, subjectivity: analyzeSummary(text).subjectivity, label: labelOf(v.compound, engine), vader: v };
  }
  const b = blend(text); // it runs TextBlob already: its subjectivity comes with it
  return { engine, sentiment: b.score, subjectivity: b.subjectivity, label: labelOf(b.score, engine) };
}

/** Scores `text` with `engine` and says why: each engine's own reasons, with offsets into the text. */
export function scoreExplained(text: string, engine: EngineName): Score & Explanation {
  if (engine === 'textblob') {
    const r = explain(text);
    return { engine, sentiment: r.polarity, subjectivity: r.subjectivity, label: labelOf(r.polarity, engine), assessments: r.assessments };
  }
  if (engine === 'vader') {
    const d = vaderDetail(text);
    return { engine, sentiment: d.scores.compound, subjectivity: analyzeSummary(text).subjectivity, label: labelOf(d.scores.compound, engine), vader: d.scores, assessments: valences(d.tokens) };
  }
  const d = blendDetail(text);
  return {
    engine,
    sentiment: d.score,
    subjectivity: d.subjectivity,
    label: labelOf(d.score, engine),
    assessments: valences(d.vader.tokens),
    contributions: d.contributions,
  };
}

/** Each sentence of `text` (src/engine/sentences.ts) scored on its own with `engine`. */
export function scoreSentences(text: string, engine: EngineName): SentenceScore[] {
  return splitSentences(text).map(({ offset, length }) => ({ offset, length, ...score(text.slice(offset, offset + length), engine) }));
}
