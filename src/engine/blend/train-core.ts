/**
 * The blend model's training: ridge regression on standardised features, a least-squares rescale,
 * seeded stratified k-fold cross-validation, leave-one-genre-out checks and the label threshold.
 *
 * Pure and deterministic (no I/O, no clock, no Math.random): the same samples, options and seed
 * give the same model, bit for bit. Used by scripts/train-blend.ts (which writes weights.ts),
 * bench/accuracy.ts (cross-validated accuracy) and the tests; never imported at score time.
 */
import { createRandom } from '../../loadtest/prng.js';
import { FEATURE_NAMES, type FeatureName } from './features.js';
import { labelFor, squashClip, type Label } from './model.js';

/** One training example: its feature vector, target (human rating / 4) and genre (dataset index). */
export interface Sample {
  readonly x: ArrayLike<number>;
  readonly y: number;
  readonly group: number;
}

/** A fitted linear model: score = clip(intercept + Σ weights[i]·(x[i] − means[i]) / stds[i], −1, 1). */
export interface LinearFit {
  means: number[];
  stds: number[];
  weights: number[];
  intercept: number;
}

/** Pearson's r; NaN when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * Sample weights that make each group (genre) count equally, whatever its size: 1/(size of the
 * group), so the weights of each group sum to 1.
 */
export function groupWeights(samples: readonly Sample[]): Float64Array {
  const count = new Map<number, number>();
  for (const s of samples) count.set(s.group, (count.get(s.group) ?? 0) + 1);
  return Float64Array.from(samples, (s) => 1 / count.get(s.group)!);
}

/** Solves A·x = b (A symmetric positive definite, row-major n×n) by Cholesky; A and b untouched. */
export function solveSpd(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error('solveSpd: matrix is not positive definite');
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j]!;
      }
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * z[k]!;
    z[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}

/**
 * Weighted ridge regression on standardised features, then a least-squares rescale of its output.
 *
 * Features are standardised with the weighted mean and standard deviation (a constant feature gets
 * std 1 and so weight 0). The ridge solves (ZᵀWZ + λ·ΣW·I)·β = ZᵀW(y − ȳ); λ is relative to the
 * total weight, so it means the same whatever the sample count. A strong λ pulls β toward the
 * direction of the features' covariances with the target (each feature weighted by its own
 * evidence, little by the others), which is what generalised across genres here; but it also
 * shrinks the scores toward ȳ, so a single factor c = cov(Zβ, y)/var(Zβ) restores their scale.
 * The model is then ȳ + Σ (c·β)ᵢ·zᵢ.
 */
export function fitRidge(samples: readonly Sample[], lambda: number, weights: ArrayLike<number> = groupWeights(samples)): LinearFit {
  const n = samples.length;
  if (n === 0) throw new Error('fitRidge: no samples');
  const p = samples[0]!.x.length;
  let W = 0;
  let ybar = 0;
  const means = new Float64Array(p);
  for (let s = 0; s < n; s++) {
    const w = weights[s]!;
    const x = samples[s]!.x;
    W += w;
    ybar += w * samples[s]!.y;
    for (let i = 0; i < p; i++) means[i] = means[i]! + w * x[i]!;
  }
  ybar /= W;
  for (let i = 0; i < p; i++) means[i] = means[i]! / W;
  const stds = new Float64Array(p);
  for (let s = 0; s < n; s++) {
    const w = weights[s]!;
    const x = samples[s]!.x;
    for (let i = 0; i < p; i++) {
      const d = x[i]! - means[i]!;
      stds[i] = stds[i]! + w * d * d;
    }
  }
  for (let i = 0; i < p; i++) {
    const sd = Math.sqrt(stds[i]! / W);
    stds[i] = sd > 1e-12 ? sd : 1;
  }
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  const z = new Float64Array(p);
  for (let s = 0; s < n; s++) {
    const w = weights[s]!;
    const x = samples[s]!.x;
    for (let i = 0; i < p; i++) z[i] = (x[i]! - means[i]!) / stds[i]!;
    const r = samples[s]!.y - ybar;
    for (let i = 0; i < p; i++) {
      const wz = w * z[i]!;
      b[i] = b[i]! + wz * r;
      for (let j = 0; j <= i; j++) A[i * p + j] = A[i * p + j]! + wz * z[j]!;
    }
  }
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < i; j++) A[j * p + i] = A[i * p + j]!;
    A[i * p + i] = A[i * p + i]! + lambda * W;
  }
  const beta = solveSpd(A, b, p);
  // The rescale: c = Σw·q·(y−ȳ) / Σw·q², q = Zβ (centred, since Z is).
  let num = 0;
  let den = 0;
  for (let s = 0; s < n; s++) {
    const w = weights[s]!;
    const x = samples[s]!.x;
    let q = 0;
    for (let i = 0; i < p; i++) q += beta[i]! * ((x[i]! - means[i]!) / stds[i]!);
    num += w * q * (samples[s]!.y - ybar);
    den += w * q * q;
  }
  const c = den > 0 ? num / den : 0;
  return { means: [...means], stds: [...stds], weights: Array.from(beta, (v) => v * c), intercept: ybar };
}

/** The model's output before the squash. */
export function linearScore(fit: LinearFit, x: ArrayLike<number>): number {
  let s = fit.intercept;
  for (let i = 0; i < fit.weights.length; i++) s += fit.weights[i]! * ((x[i]! - fit.means[i]!) / fit.stds[i]!);
  return s;
}

/**
 * Fold of each sample for k-fold cross-validation, stratified by group: each group's samples are
 * shuffled (Fisher–Yates, seeded) and dealt to the folds in turn.
 */
export function stratifiedFolds(samples: readonly Sample[], k: number, seed: number): Int32Array {
  const byGroup = new Map<number, number[]>();
  samples.forEach((s, i) => {
    const list = byGroup.get(s.group);
    if (list) list.push(i);
    else byGroup.set(s.group, [i]);
  });
  const folds = new Int32Array(samples.length);
  const groups = [...byGroup.keys()].sort((a, b) => a - b);
  for (const g of groups) {
    const idx = byGroup.get(g)!;
    const rnd = createRandom((seed + g * 0x9e3779b1) >>> 0);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rnd.next() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    idx.forEach((sampleIndex, pos) => {
      folds[sampleIndex] = pos % k;
    });
  }
  return folds;
}

/** Out-of-fold predictions: each fold scored by a model trained (λ, group weights) on the others. */
export function crossValidate(samples: readonly Sample[], lambda: number, k: number, seed: number): Float64Array {
  const folds = stratifiedFolds(samples, k, seed);
  const out = new Float64Array(samples.length);
  for (let f = 0; f < k; f++) {
    const train = samples.filter((_, i) => folds[i] !== f);
    const fit = fitRidge(train, lambda);
    samples.forEach((s, i) => {
      if (folds[i] === f) out[i] = squashClip(linearScore(fit, s.x));
    });
  }
  return out;
}

/** r of `pred` against the targets, per group. */
export function pearsonByGroup(samples: readonly Sample[], pred: ArrayLike<number>, groups: readonly number[]): number[] {
  return groups.map((g) => {
    const a: number[] = [];
    const b: number[] = [];
    samples.forEach((s, i) => {
      if (s.group === g) {
        a.push(pred[i]!);
        b.push(s.y);
      }
    });
    return pearson(a, b);
  });
}

/** Trains on group `from` only and returns r on group `to`: the cross-genre check. */
export function crossGenre(samples: readonly Sample[], from: number, to: number, lambda: number): number {
  const fit = fitRidge(
    samples.filter((s) => s.group === from),
    lambda,
  );
  const test = samples.filter((s) => s.group === to);
  return pearson(
    test.map((s) => squashClip(linearScore(fit, s.x))),
    test.map((s) => s.y),
  );
}

// --- labels --------------------------------------------------------------------------------------

/**
 * The humans' class of a target (rating / 4): |rating| > 0.5 on the −4…+4 scale is positive or
 * negative, anything nearer 0 neutral (a mean of 20 raters within half a point of 0).
 */
export const HUMAN_NEUTRAL_BAND = 0.5 / 4;
export function humanClass(target: number): Label {
  return target > HUMAN_NEUTRAL_BAND ? 'positive' : target < -HUMAN_NEUTRAL_BAND ? 'negative' : 'neutral';
}

const LABELS: readonly Label[] = ['positive', 'negative', 'neutral'];

/** 3-class accuracy and macro-F1 (mean F1 of the three classes; a class never predicted nor true scores 0). */
export function classScores(truth: readonly Label[], predicted: readonly Label[]): { accuracy: number; macroF1: number } {
  let correct = 0;
  const tp = new Map<Label, number>();
  const fp = new Map<Label, number>();
  const fn = new Map<Label, number>();
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    if (t === p) {
      correct++;
      tp.set(t, (tp.get(t) ?? 0) + 1);
    } else {
      fp.set(p, (fp.get(p) ?? 0) + 1);
      fn.set(t, (fn.get(t) ?? 0) + 1);
    }
  }
  let f1 = 0;
  for (const c of LABELS) {
    const a = tp.get(c) ?? 0;
    const d = 2 * a + (fp.get(c) ?? 0) + (fn.get(c) ?? 0);
    f1 += d > 0 ? (2 * a) / d : 0;
  }
  return { accuracy: truth.length ? correct / truth.length : 0, macroF1: f1 / LABELS.length };
}

/**
 * The label threshold: the t in `grid` that maximises the mean over groups of the macro-F1 of
 * labelFor(prediction, t) against humanClass(target); the smallest such t on a tie.
 */
export function chooseThreshold(samples: readonly Sample[], pred: ArrayLike<number>, groups: readonly number[], grid: readonly number[]): { threshold: number; macroF1: number } {
  let best = { threshold: grid[0]!, macroF1: -1 };
  for (const t of grid) {
    let sum = 0;
    for (const g of groups) {
      const truth: Label[] = [];
      const predicted: Label[] = [];
      samples.forEach((s, i) => {
        if (s.group === g) {
          truth.push(humanClass(s.y));
          predicted.push(labelFor(pred[i]!, t));
        }
      });
      sum += classScores(truth, predicted).macroF1;
    }
    const f = sum / groups.length;
    if (f > best.macroF1) best = { threshold: t, macroF1: f };
  }
  return best;
}

// --- the whole procedure -------------------------------------------------------------------------

export interface TrainOptions {
  /** Ridge strengths to try (relative to the total sample weight). */
  lambdas: readonly number[];
  /** Folds of the cross-validation. */
  k: number;
  seed: number;
  /** λ: the largest of those whose criterion is within this of the best (prefer regularisation). */
  tolerance: number;
  /** Candidate label thresholds. */
  thresholds: readonly number[];
}

export interface LambdaResult {
  lambda: number;
  /** k-fold cross-validated r per group. */
  cv: number[];
  /** r on group j of a model trained on group i only, for every ordered pair i ≠ j. */
  crossGenre: { from: number; to: number; r: number }[];
  /** Mean of all the r above: what λ is chosen by. */
  criterion: number;
}

export interface TrainResult {
  fit: LinearFit;
  lambda: number;
  threshold: number;
  /** Mean over groups of the cross-validated macro-F1 at the threshold. */
  thresholdMacroF1: number;
  groups: number[];
  search: LambdaResult[];
  chosen: LambdaResult;
  /** The chosen λ's out-of-fold predictions (squashed), per sample. */
  cvPredictions: Float64Array;
}

/** Scores one λ: its k-fold r per group and its cross-genre r for every pair of groups. */
export function evaluateLambda(samples: readonly Sample[], lambda: number, k: number, seed: number): LambdaResult & { pred: Float64Array } {
  const groups = distinctGroups(samples);
  const pred = crossValidate(samples, lambda, k, seed);
  const cv = pearsonByGroup(samples, pred, groups);
  const cross: LambdaResult['crossGenre'] = [];
  for (const from of groups) for (const to of groups) if (from !== to) cross.push({ from, to, r: crossGenre(samples, from, to, lambda) });
  const all = [...cv, ...cross.map((c) => c.r)];
  return { lambda, cv, crossGenre: cross, criterion: all.reduce((a, b) => a + b, 0) / all.length, pred };
}

export function distinctGroups(samples: readonly Sample[]): number[] {
  return [...new Set(samples.map((s) => s.group))].sort((a, b) => a - b);
}

/**
 * The training procedure: for each λ, k-fold CV (stratified by genre) and the leave-one-genre-out
 * checks; λ is the strongest whose mean r is within `tolerance` of the best; the label threshold
 * maximises the cross-validated macro-F1 at that λ; the final model is fitted on everything.
 */
export function train(samples: readonly Sample[], options: TrainOptions): TrainResult {
  const groups = distinctGroups(samples);
  const evaluated = options.lambdas.map((l) => evaluateLambda(samples, l, options.k, options.seed));
  const best = Math.max(...evaluated.map((e) => e.criterion));
  let chosen = evaluated.find((e) => e.criterion === best)!;
  for (const e of evaluated) if (e.criterion >= best - options.tolerance && e.lambda > chosen.lambda) chosen = e;
  const th = chooseThreshold(samples, chosen.pred, groups, options.thresholds);
  const strip = ({ pred: _pred, ...rest }: LambdaResult & { pred: Float64Array }): LambdaResult => rest;
  return {
    fit: fitRidge(samples, chosen.lambda),
    lambda: chosen.lambda,
    threshold: th.threshold,
    thresholdMacroF1: th.macroF1,
    groups,
    search: evaluated.map(strip),
    chosen: strip(chosen),
    cvPredictions: chosen.pred,
  };
}

/**
 * Nested cross-validation of the whole procedure: for each of k outer folds (stratified by genre),
 * `train` runs on the other folds — choosing its own λ and label threshold by its own inner CV —
 * and scores the held-out fold. What the accuracy benchmark reports as blend's cross-validated
 * figures: no number in it was seen while choosing anything.
 */
export function nestedCrossValidate(samples: readonly Sample[], options: TrainOptions): { scores: Float64Array; labels: Label[] } {
  const folds = stratifiedFolds(samples, options.k, options.seed);
  const scores = new Float64Array(samples.length);
  const labels: Label[] = new Array<Label>(samples.length).fill('neutral');
  for (let f = 0; f < options.k; f++) {
    const inner = train(
      samples.filter((_, i) => folds[i] !== f),
      options,
    );
    samples.forEach((s, i) => {
      if (folds[i] !== f) return;
      scores[i] = squashClip(linearScore(inner.fit, s.x));
      labels[i] = labelFor(scores[i]!, inner.threshold);
    });
  }
  return { scores, labels };
}

// --- the shipped configuration -------------------------------------------------------------------

/**
 * What `npm run train:blend` trains, and what the accuracy benchmark retrains per fold. The
 * features were chosen by the criterion `train` chooses λ by (mean of the k-fold and cross-genre
 * r): from this set, dropping any one of them or adding any other candidate moves it by less than
 * 0.0005 (the script's ablation table shows it). README.md says why each is there.
 */
export const BLEND_TRAINING: { readonly features: readonly FeatureName[]; readonly options: TrainOptions } = Object.freeze({
  features: Object.freeze(['vCompound', 'vPos', 'vNeg', 'vMaxPositive', 'vMaxNegative', 'tbEvidence', 'tbMax', 'tbMin', 'negations', 'exclamations', 'questions', 'vaderIfNoTextblob'] as const),
  options: Object.freeze({
    lambdas: Object.freeze([0.001, 0.01, 0.1, 1, 10, 100, 1000]),
    k: 10,
    seed: 20140601,
    tolerance: 0.001,
    thresholds: Object.freeze(Array.from({ length: 51 }, (_, i) => i / 100)),
  }),
});

/** The full candidate feature vectors of a corpus, one group per dataset. */
export interface FeatureTable {
  /** Dataset names; a row's group is an index into this. */
  groupNames: string[];
  rows: { x: readonly number[]; y: number; group: number }[];
}

/** Samples with only the named features, in that order. */
export function selectFeatures(table: FeatureTable, names: readonly string[]): Sample[] {
  const idx = names.map((n) => {
    const i = (FEATURE_NAMES as readonly string[]).indexOf(n);
    if (i < 0) throw new Error(`unknown feature ${n}`);
    return i;
  });
  return table.rows.map((r) => ({ x: Float64Array.from(idx, (i) => r.x[i]!), y: r.y, group: r.group }));
}
