/**
 * `blend`: a small linear model over both engines' outputs, trained on human ratings (see README.md
 * in this folder for the features, the training and the measured accuracy).
 *
 * Pure and synchronous: the two engines' summaries of the text (analyzeSummary, vaderFeatures: no
 * assessment or token is built), the features computed from them, one dot product, a clip.
 * blendDetail() takes the engines' full outputs (analyze, vaderDetail) instead, for the reasons;
 * the numbers are the same to the last bit (features.ts). The weights are data (weights.ts,
 * written by `npm run train:blend`), checked and frozen when this module loads.
 */
import { analyze } from '../index.js';
import { vaderDetail, type VaderDetail } from '../vader/index.js';
import { extractFeatures, FEATURE_NAMES, fastFeatures } from './features.js';
import { compileModel, labelFor, linearValue, squashClip, type Label } from './model.js';
import { BLEND_MODEL } from './weights.js';

export type { Label } from './model.js';
export { blendFeatures } from './features.js';

export interface BlendResult {
  /** In [−1, 1]: the predicted human rating / 4. */
  score: number;
  label: Label;
  /** TextBlob's polarity of the text. */
  textblob: number;
  /** TextBlob's subjectivity of the text (the engines' `subjectivity`, whatever the engine). */
  subjectivity: number;
  /** VADER's compound of the text. */
  vader: number;
}

/** One feature's share of the score. */
export interface BlendContribution {
  feature: string;
  /** The feature's value for this text. */
  value: number;
  /** weight × (value − mean) / std: intercept + Σ contributions = the score before the clip. */
  contribution: number;
}

/** blend()'s result with the reasons: VADER's full detail (`vader` here is that, not the compound). */
export interface BlendDetail extends Omit<BlendResult, 'vader'> {
  /** The score before the clip to [−1, 1]: intercept + Σ contributions. */
  linear: number;
  intercept: number;
  /** Every feature the model uses, largest |contribution| first. */
  contributions: BlendContribution[];
  vader: VaderDetail;
}

const MODEL = compileModel(BLEND_MODEL);
const TB_POLARITY = FEATURE_NAMES.indexOf('tbPolarity');
const V_COMPOUND = FEATURE_NAMES.indexOf('vCompound');
const TB_SUBJECTIVITY = FEATURE_NAMES.indexOf('tbSubjectivity');

/** positive at score ≥ this, negative at ≤ −this, neutral between (chosen by cross-validation). */
export const BLEND_LABEL_THRESHOLD: number = MODEL.threshold;

/** The features the model uses, in its order. */
export const BLEND_FEATURES: readonly string[] = MODEL.names;

export function blend(text: string): BlendResult {
  if (MODEL.all) {
    // A model that uses a feature only the tokens give (features.ts ON_REQUEST): the detail path.
    const tb = analyze(text);
    const vd = vaderDetail(text);
    const score = squashClip(linearValue(MODEL, extractFeatures(text, tb, vd, true)));
    return { score, label: labelFor(score, MODEL.threshold), textblob: tb.polarity, subjectivity: tb.subjectivity, vader: vd.scores.compound };
  }
  // The engines' summaries, no assessments or tokens built: the same numbers (features.ts).
  const x = fastFeatures(text);
  const score = squashClip(linearValue(MODEL, x));
  return { score, label: labelFor(score, MODEL.threshold), textblob: x[TB_POLARITY]!, subjectivity: x[TB_SUBJECTIVITY]!, vader: x[V_COMPOUND]! };
}

export function blendDetail(text: string): BlendDetail {
  const tb = analyze(text);
  const vd = vaderDetail(text);
  const x = extractFeatures(text, tb, vd, MODEL.all);
  const { index, means, stds, weights, names } = MODEL;
  const contributions: BlendContribution[] = names.map((feature, i) => ({
    feature,
    value: x[index[i]!]!,
    contribution: weights[i]! * ((x[index[i]!]! - means[i]!) / stds[i]!),
  }));
  // Stable: equal shares keep the model's order.
  contributions.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  const linear = linearValue(MODEL, x);
  const score = squashClip(linear);
  return { score, label: labelFor(score, MODEL.threshold), textblob: tb.polarity, subjectivity: tb.subjectivity, linear, intercept: MODEL.intercept, contributions, vader: vd };
}
