// Trains the blend model and writes src/engine/blend/weights.ts.
//
//   npm run train:blend          (= npx tsc -p tsconfig.json && node dist/scripts/train-blend.js)
//
// Reads the shared corpus (POLARITY_CORPUS_DIR or <repo>/../shared/corpus), computes every
// candidate feature of every snippet with the real engines, and runs the procedure of
// src/engine/blend/train-core.ts with the configuration there (BLEND_TRAINING): for each ridge
// strength, 10-fold cross-validation stratified by dataset (seeded shuffles) and the cross-genre
// checks (train on one dataset, r on the other); the strongest λ within 0.001 of the best mean r;
// the label threshold that maximises the cross-validated macro-F1; the final fit on both datasets,
// each counting as much as the other. Prints the report (cross-validated r against VADER's and
// TextBlob's, cross-genre r, the λ search, an ablation of every candidate feature) and writes the
// weights with that report. Deterministic: a rerun writes the same file byte for byte (the
// training date is kept unless the model changed). No corpus text is written anywhere.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusDir, featureTable, readCorpus } from '../src/engine/blend/corpus.js';
import { FEATURE_NAMES } from '../src/engine/blend/features.js';
import { modelProblems, squashClip, type BlendModel } from '../src/engine/blend/model.js';
import { BLEND_TRAINING, evaluateLambda, linearScore, pearson, selectFeatures, train, type FeatureTable } from '../src/engine/blend/train-core.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const weightsPath = join(repoRoot, 'src', 'engine', 'blend', 'weights.ts');
const dir = corpusDir(repoRoot);
const datasets = readCorpus(dir);
if (!datasets || datasets.length < 2) {
  console.error(`train-blend: need at least two datasets (*.jsonl) in ${dir}`);
  process.exit(1);
}

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const t0 = performance.now();
const table: FeatureTable = featureTable(datasets);
const { features, options } = BLEND_TRAINING;
const samples = selectFeatures(table, features);
const names = table.groupNames;
console.log(`train-blend: ${samples.length} snippets (${datasets.map((d) => `${d.name} ${d.snippets.length}`).join(', ')}), ${features.length} features`);

const result = train(samples, options);
const col = (name: string): number => FEATURE_NAMES.indexOf(name as (typeof FEATURE_NAMES)[number]);
const rOf = (group: number, value: (x: readonly number[]) => number): number => {
  const rows = table.rows.filter((r) => r.group === group);
  return pearson(
    rows.map((r) => value(r.x)),
    rows.map((r) => r.y),
  );
};
const vaderR = names.map((_, g) => rOf(g, (x) => x[col('vCompound')]!));
const textblobR = names.map((_, g) => rOf(g, (x) => x[col('tbPolarity')]!));
const shippedR = names.map((_, g) => {
  const s = samples.filter((x) => x.group === g);
  return pearson(
    s.map((x) => squashClip(linearScore(result.fit, x.x))),
    s.map((x) => x.y),
  );
});

// Ablation at the chosen λ: the criterion without each feature, and with each other candidate.
const base = result.chosen.criterion;
const ablation: { feature: string; change: 'drop' | 'add'; delta: number }[] = [];
for (const f of features) {
  const rest = features.filter((g) => g !== f);
  ablation.push({ feature: f, change: 'drop', delta: r4(evaluateLambda(selectFeatures(table, rest), result.lambda, options.k, options.seed).criterion - base) });
}
for (const f of FEATURE_NAMES) {
  if ((features as readonly string[]).includes(f)) continue;
  ablation.push({ feature: f, change: 'add', delta: r4(evaluateLambda(selectFeatures(table, [...features, f]), result.lambda, options.k, options.seed).criterion - base) });
}

const report = {
  target: 'human / 4; humans positive if human > 0.5, negative if < -0.5, else neutral',
  k: options.k,
  lambdaChosenBy: `mean of the ${options.k}-fold CV r per dataset and the cross-genre r; the largest lambda within ${options.tolerance} of the best`,
  datasets: names.map((name, g) => ({
    name,
    size: datasets[g]!.snippets.length,
    cvR: r4(result.chosen.cv[g]!),
    vaderR: r4(vaderR[g]!),
    textblobR: r4(textblobR[g]!),
    shippedModelR: r4(shippedR[g]!),
  })),
  crossGenre: result.chosen.crossGenre.map((c) => ({ train: names[c.from]!, test: names[c.to]!, r: r4(c.r), vaderR: r4(vaderR[c.to]!) })),
  lambdaSearch: result.search.map((s) => ({
    lambda: s.lambda,
    criterion: r4(s.criterion),
    cvR: s.cv.map(r4),
    crossGenreR: s.crossGenre.map((c) => r4(c.r)),
  })),
  labelThreshold: { value: result.threshold, cvMacroF1: r4(result.thresholdMacroF1) },
  ablation,
};

/** JSON, but arrays and objects of plain values on one line when short: a file a person can read. */
function compactJson(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value);
  if (typeof value !== 'object' || value === null || flat.length + indent.length <= 100) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) return `[\n${inner}${value.map((v) => JSON.stringify(v)).join(`,\n${inner}`)}\n${indent}]`;
    return `[\n${value.map((v) => inner + compactJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`);
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

function render(model: BlendModel): string {
  return [
    '// GENERATED by scripts/train-blend.ts (`npm run train:blend`): do not edit by hand.',
    '// The blend model: the features it uses, their standardisation, the weights, and the training',
    '// report (cross-validated and cross-genre Pearson r, the λ search, the ablation). See README.md.',
    "import type { BlendModel } from './model.js';",
    '',
    `export const BLEND_MODEL: BlendModel = ${compactJson(model)};`,
    '',
  ].join('\n');
}

const model = (trainedAt: string): BlendModel => ({
  format: 1,
  trainedAt,
  seed: options.seed,
  corpus: datasets.map((d) => ({ name: d.name, size: d.snippets.length })),
  features: [...features],
  means: result.fit.means,
  stds: result.fit.stds,
  weights: result.fit.weights,
  intercept: result.fit.intercept,
  squash: 'clip',
  lambda: result.lambda,
  labelThreshold: result.threshold,
  report,
});

// Keep the date of the file on disk when nothing else changed: reruns are byte-identical.
const old = existsSync(weightsPath) ? readFileSync(weightsPath, 'utf8') : '';
const oldDate = /"trainedAt": "(\d{4}-\d{2}-\d{2})"/.exec(old)?.[1];
let text = oldDate === undefined ? null : render(model(oldDate));
if (text !== old) text = render(model(new Date().toISOString().slice(0, 10)));
const problems = modelProblems(model('2000-01-01'));
if (problems.length > 0) {
  console.error(`train-blend: the model is malformed: ${problems.join('; ')}`);
  process.exit(1);
}
if (text === old) console.log(`train-blend: ${weightsPath} unchanged`);
else {
  writeFileSync(weightsPath, text);
  console.log(`train-blend: wrote ${weightsPath}`);
}

// --- the report ----------------------------------------------------------------------------------
console.log(`\nλ = ${result.lambda}, label threshold ±${result.threshold} (CV macro-F1 ${report.labelThreshold.cvMacroF1})`);
console.log('\n| dataset | n | blend CV r | VADER r | TextBlob r | shipped model r (in-sample) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const d of report.datasets) console.log(`| ${d.name} | ${d.size} | ${d.cvR} | ${d.vaderR} | ${d.textblobR} | ${d.shippedModelR} |`);
console.log('\n| trained on | tested on | blend r | VADER r |');
console.log('|---|---|---:|---:|');
for (const c of report.crossGenre) console.log(`| ${c.train} only | ${c.test} | ${c.r} | ${c.vaderR} |`);
console.log('\n| λ | criterion | CV r | cross-genre r |');
console.log('|---:|---:|---|---|');
for (const s of report.lambdaSearch) console.log(`| ${s.lambda} | ${s.criterion} | ${s.cvR.join(', ')} | ${s.crossGenreR.join(', ')} |`);
console.log('\n| feature | weight | mean | std |');
console.log('|---|---:|---:|---:|');
features.forEach((f, i) => console.log(`| ${f} | ${r4(result.fit.weights[i]!)} | ${r4(result.fit.means[i]!)} | ${r4(result.fit.stds[i]!)} |`));
console.log(`| (intercept) | ${r4(result.fit.intercept)} | | |`);
console.log('\nablation (change of the criterion):');
for (const a of ablation) console.log(`  ${a.change === 'drop' ? '−' : '+'} ${a.feature}: ${a.delta >= 0 ? '+' : ''}${a.delta}`);
console.log(`\ntrain-blend: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
