// The blend model's training core (src/engine/blend/train-core.ts) on small synthetic data: the
// same samples and seed give the same model bit for bit; the folds are stratified; the ridge
// recovers a known linear rule; the label threshold and the class scores are right on tables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chooseThreshold,
  classScores,
  crossValidate,
  fitRidge,
  groupWeights,
  humanClass,
  linearScore,
  nestedCrossValidate,
  pearson,
  solveSpd,
  stratifiedFolds,
  train,
  type Sample,
} from '../../src/engine/blend/train-core.js';
import { xorshift } from './helpers.js';

/** Two "genres" of 300 and 120 samples: y = 0.3·x0 − 0.2·x1 (+ noise, + a shift in genre 1), x2 pure noise. */
function synthetic(seed: number, noise = 0.05, shift = 0.05): Sample[] {
  const r = xorshift(seed);
  const out: Sample[] = [];
  for (const [group, n] of [
    [0, 300],
    [1, 120],
  ] as const) {
    for (let i = 0; i < n; i++) {
      const x = [r() * 2 - 1, r() * 2 - 1, r() * 2 - 1];
      out.push({ x, y: 0.3 * x[0]! - 0.2 * x[1]! + noise * (r() * 2 - 1) + (group ? shift : 0), group });
    }
  }
  return out;
}

const OPTIONS = { lambdas: [0.001, 0.1, 10], k: 5, seed: 7, tolerance: 0.001, thresholds: [0, 0.05, 0.1, 0.2] };

test('train: the same samples and seed give the same model, bit for bit', () => {
  const a = train(synthetic(1), OPTIONS);
  const b = train(synthetic(1), OPTIONS);
  assert.deepEqual(a, b);
  assert.deepEqual(JSON.stringify(a.fit), JSON.stringify(b.fit));
  // Another seed deals other folds (so other out-of-fold predictions), the same final fit.
  const c = train(synthetic(1), { ...OPTIONS, seed: 8 });
  assert.notDeepEqual(c.cvPredictions, a.cvPredictions);
  assert.deepEqual(c.fit, train(synthetic(1), { ...OPTIONS, seed: 8 }).fit);
  assert.ok(OPTIONS.lambdas.includes(a.lambda));
  assert.ok(
    a.chosen.cv.every((r) => r > 0.95),
    `cv r ${a.chosen.cv}`,
  );
  assert.equal(a.chosen.crossGenre.length, 2);
});

test('stratifiedFolds: every group spread evenly over the folds, deterministic for a seed', () => {
  const s = synthetic(2);
  const f = stratifiedFolds(s, 5, 3);
  assert.deepEqual(f, stratifiedFolds(s, 5, 3));
  assert.notDeepEqual(f, stratifiedFolds(s, 5, 4));
  for (const g of [0, 1]) {
    const counts = [0, 0, 0, 0, 0];
    s.forEach((x, i) => {
      if (x.group === g) counts[f[i]!]!++;
    });
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `group ${g}: ${counts}`);
  }
});

test('fitRidge: recovers the rule at small λ; a strong λ keeps the direction and the rescale keeps the scale', () => {
  const s = synthetic(3, 0, 0);
  const fit = fitRidge(s, 1e-9);
  for (const x of s.slice(0, 50)) assert.ok(Math.abs(linearScore(fit, x.x) - x.y) < 1e-6);
  const strong = fitRidge(s, 1e6);
  const pred = s.map((x) => linearScore(strong, x.x));
  assert.ok(
    pearson(
      pred,
      s.map((x) => x.y),
    ) > 0.9,
  );
  // The least-squares rescale: the residual is uncorrelated with the prediction.
  // (weighted as in training: each genre counts equally)
  const w = groupWeights(s);
  const W = w.reduce((a, b) => a + b, 0);
  const mean = pred.reduce((a, p, i) => a + w[i]! * p, 0) / W;
  const cov = pred.reduce((a, p, i) => a + w[i]! * (p - mean) * (s[i]!.y - p), 0);
  assert.ok(Math.abs(cov) < 1e-12, `cov ${cov}`);
  // Out-of-fold predictions are in [-1, 1].
  assert.ok(crossValidate(s, 0.1, 5, 1).every((p) => p >= -1 && p <= 1));
});

test('solveSpd: solves a small system; refuses a singular one', () => {
  const x = solveSpd(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2);
  assert.ok(Math.abs(4 * x[0]! + 2 * x[1]! - 2) < 1e-12 && Math.abs(2 * x[0]! + 3 * x[1]! - 1) < 1e-12);
  assert.throws(() => solveSpd(Float64Array.from([1, 1, 1, 1]), Float64Array.from([1, 1]), 2), /positive definite/);
});

test('classes: human bands, accuracy and macro-F1 on a table, the threshold on a toy set', () => {
  assert.equal(humanClass(0.6 / 4), 'positive');
  assert.equal(humanClass(0.5 / 4), 'neutral');
  assert.equal(humanClass(-0.6 / 4), 'negative');
  const truth = ['positive', 'positive', 'negative', 'neutral'] as const;
  const pred = ['positive', 'neutral', 'negative', 'neutral'] as const;
  const { accuracy, macroF1 } = classScores(truth, pred);
  assert.equal(accuracy, 0.75);
  // F1: positive 2/3, negative 1, neutral 2/3.
  assert.ok(Math.abs(macroF1 - (2 / 3 + 1 + 2 / 3) / 3) < 1e-12);
  const samples: Sample[] = [0.5, 0.3, 0, -0.02, -0.4].map((y) => ({ x: [y], y, group: 0 }));
  const { threshold } = chooseThreshold(samples, [0.3, 0.2, 0.04, -0.04, -0.3], [0], [0, 0.05, 0.1]);
  assert.equal(threshold, 0.05);
});

test('nestedCrossValidate: every sample scored by a model that never saw it, deterministic', () => {
  const s = synthetic(4);
  const a = nestedCrossValidate(s, OPTIONS);
  assert.deepEqual(a, nestedCrossValidate(s, OPTIONS));
  assert.equal(a.scores.length, s.length);
  assert.ok(a.scores.every((x) => x >= -1 && x <= 1));
  assert.ok(
    pearson(
      a.scores,
      s.map((x) => x.y),
    ) > 0.95,
  );
  assert.ok(a.labels.every((l) => l === 'positive' || l === 'negative' || l === 'neutral'));
});
