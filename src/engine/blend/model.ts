/**
 * The blend model's data (the shape of weights.ts) and its checked, frozen compiled form.
 */
import { FEATURE_NAMES, ON_REQUEST, type FeatureName } from './features.js';

export type Label = 'positive' | 'negative' | 'neutral';

/** What scripts/train-blend.ts writes into weights.ts. */
export interface BlendModel {
  format: 1;
  /** The day the model last changed (a rerun that changes nothing keeps it: byte-identical file). */
  trainedAt: string;
  seed: number;
  /** The training sets and their sizes (texts only ever read from the shared corpus, never stored). */
  corpus: { name: string; size: number }[];
  /** The features used, by name (features.ts FEATURE_NAMES), in the order of the arrays below. */
  features: string[];
  means: number[];
  stds: number[];
  /** Per standardised feature: its contribution is weight × (value − mean) / std. */
  weights: number[];
  intercept: number;
  /** How the linear value becomes the score: clipped to [−1, 1]. */
  squash: 'clip';
  /** Ridge strength (relative to the total sample weight), chosen by cross-validation. */
  lambda: number;
  /** positive at score ≥ t, negative at ≤ −t, neutral between; chosen by cross-validation. */
  labelThreshold: number;
  /** The training report: cross-validated and cross-genre r, the λ search, the label threshold's macro-F1. */
  report: unknown;
}

/** The model ready to score: features as indexes into the extractor's vector. */
export interface CompiledModel {
  readonly names: readonly string[];
  readonly index: readonly number[];
  readonly means: readonly number[];
  readonly stds: readonly number[];
  readonly weights: readonly number[];
  readonly intercept: number;
  readonly threshold: number;
  /** Whether the model uses a feature of features.ts ON_REQUEST (extractFeatures' `all`). */
  readonly all: boolean;
  /**
   * The same model folded for speed: linear = bias + Σ scale[i] · x[position[i]], with
   * scale = weight / std and bias = intercept − Σ scale · mean. Typed arrays, written once here.
   */
  readonly position: Int32Array;
  readonly scale: Float64Array;
  readonly bias: number;
}

/** Everything wrong with `m` as a BlendModel (empty when it is well formed). */
export function modelProblems(m: BlendModel): string[] {
  const problems: string[] = [];
  const known = new Set<string>(FEATURE_NAMES);
  const p = m.features.length;
  if (m.format !== 1) problems.push(`format ${String(m.format)}, expected 1`);
  if (p === 0) problems.push('no features');
  if (new Set(m.features).size !== p) problems.push('duplicate feature names');
  for (const f of m.features) if (!known.has(f)) problems.push(`unknown feature ${JSON.stringify(f)}`);
  for (const key of ['means', 'stds', 'weights'] as const) {
    if (m[key].length !== p) problems.push(`${key}: ${m[key].length} values for ${p} features`);
    if (!m[key].every(Number.isFinite)) problems.push(`${key}: not all finite`);
  }
  if (!m.stds.every((s) => s > 0)) problems.push('stds: not all positive');
  if (!Number.isFinite(m.intercept) || Math.abs(m.intercept) > 1) problems.push(`intercept ${m.intercept}`);
  if (m.squash !== 'clip') problems.push(`squash ${String(m.squash)}`);
  if (!(m.labelThreshold >= 0 && m.labelThreshold < 1)) problems.push(`labelThreshold ${m.labelThreshold}`);
  if (!(m.lambda >= 0)) problems.push(`lambda ${m.lambda}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(m.trainedAt)) problems.push(`trainedAt ${m.trainedAt}`);
  return problems;
}

/** Checks `m` once (throws on any problem) and returns its frozen compiled form. */
export function compileModel(m: BlendModel): CompiledModel {
  const problems = modelProblems(m);
  if (problems.length > 0) throw new Error(`blend: malformed model: ${problems.join('; ')}`);
  const index = m.features.map((f) => (FEATURE_NAMES as readonly string[]).indexOf(f));
  const scale = Float64Array.from(m.weights, (w, i) => w / m.stds[i]!);
  let bias = m.intercept;
  for (let i = 0; i < scale.length; i++) bias -= scale[i]! * m.means[i]!;
  return Object.freeze({
    names: Object.freeze([...m.features]),
    index: Object.freeze(index),
    means: Object.freeze([...m.means]),
    stds: Object.freeze([...m.stds]),
    weights: Object.freeze([...m.weights]),
    intercept: m.intercept,
    threshold: m.labelThreshold,
    all: m.features.some((f) => ON_REQUEST.has(f as FeatureName)),
    position: Int32Array.from(index),
    scale,
    bias,
  });
}

/**
 * The linear value before the squash: intercept + Σ weight × standardised feature, computed in its
 * folded form (equal to within rounding: blend.test.ts checks the contributions add up to it).
 */
export function linearValue(model: CompiledModel, features: readonly number[]): number {
  const { position, scale } = model;
  let s = model.bias;
  for (let i = 0; i < position.length; i++) s += scale[i]! * features[position[i]!]!;
  return s;
}

/** The score: the linear value clipped to [−1, 1] (linear inside, so Pearson's r is kept). */
export function squashClip(v: number): number {
  return v > 1 ? 1 : v < -1 ? -1 : v;
}

export function labelFor(score: number, threshold: number): Label {
  return score >= threshold ? 'positive' : score <= -threshold ? 'negative' : 'neutral';
}
