// Accuracy benchmark: how well each scorer agrees with the human ratings of the shared corpus, and
// how fast it is — our three engines and the npm libraries people reach for.
//
//   npx tsc -p tsconfig.json && node dist/bench/accuracy.js [--rounds N] [--out bench/results/accuracy]
//
// For every dataset (POLARITY_CORPUS_DIR or <repo>/../shared/corpus) and scorer: Pearson r of the
// score against `human`, 3-class accuracy and macro-F1, and texts/second on one thread (median of
// N rounds; in each round every scorer takes one pass in turn, so a slow moment of a shared
// machine falls on all of them). Writes <out>.md and <out>.json.
//
// Classes. Humans: positive if the mean rating > 0.5, negative if < −0.5 (on −4…+4), else neutral.
// Scorers, each by its own convention: VADER's compound (ours and the npm port) ±0.05, as its
// authors recommend; blend ±its cross-validated threshold (src/engine/blend/README.md); TextBlob,
// AFINN (`sentiment`, `natural`) and wink by the sign (> 0 positive, < 0 negative, 0 neutral).
//
// blend appears twice: "blend (10-fold CV)" is the whole training procedure rerun on 9/10 of the
// corpus (choosing its own λ and threshold) and scored on the held-out tenth, for each tenth — the
// honest figure; "blend (shipped)" is the committed model, trained on all of it (in-sample).
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Sentiment from 'sentiment';
import vaderSentiment from 'vader-sentiment';
import winkSentiment from 'wink-sentiment';
import naturalSentiment from 'natural/lib/natural/sentiment/index.js';
import naturalStemmers from 'natural/lib/natural/stemmers/index.js';
import naturalTokenizers from 'natural/lib/natural/tokenizers/index.js';
import { analyze } from '../src/engine/index.js';
import { vader } from '../src/engine/vader/index.js';
import { blend, BLEND_LABEL_THRESHOLD } from '../src/engine/blend/index.js';
import { corpusDir, featureTable, readCorpus } from '../src/engine/blend/corpus.js';
import type { Label } from '../src/engine/blend/model.js';
import { BLEND_TRAINING, classScores, humanClass, nestedCrossValidate, pearson, selectFeatures } from '../src/engine/blend/train-core.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, out: { type: 'string', default: 'bench/results/accuracy' } },
});
const rounds = Math.max(3, Number(values.rounds));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const dir = corpusDir(repoRoot);
const datasets = readCorpus(dir);
if (!datasets || datasets.length === 0) {
  console.error(`accuracy: no corpus in ${dir} (set POLARITY_CORPUS_DIR)`);
  process.exit(1);
}

const bySign =
  (t: number) =>
  (s: number): Label =>
    s >= t && s > 0 ? 'positive' : s <= -t && s < 0 ? 'negative' : 'neutral';

interface Scorer {
  name: string;
  /** What the number is and how it becomes a class. */
  how: string;
  score: (text: string) => number;
  classOf: (score: number) => Label;
}

const afinn = new Sentiment();
const natural = new naturalSentiment.SentimentAnalyzer('English', naturalStemmers.PorterStemmer, 'afinn');
const naturalWords = new naturalTokenizers.WordTokenizer();
const scorers: Scorer[] = [
  { name: 'textblob (ours)', how: 'polarity; sign', score: (t) => analyze(t).polarity, classOf: bySign(0) },
  { name: 'vader (ours)', how: 'compound; ±0.05', score: (t) => vader(t).compound, classOf: bySign(0.05) },
  { name: 'blend (shipped)', how: `score; ±${BLEND_LABEL_THRESHOLD}`, score: (t) => blend(t).score, classOf: bySign(BLEND_LABEL_THRESHOLD) },
  { name: 'sentiment (AFINN) comparative', how: 'comparative (score / tokens); sign', score: (t) => afinn.analyze(t).comparative, classOf: bySign(0) },
  { name: 'sentiment (AFINN) score', how: 'score (sum of AFINN values); sign', score: (t) => afinn.analyze(t).score, classOf: bySign(0) },
  {
    name: 'vader-sentiment',
    how: 'compound; ±0.05',
    score: (t) => vaderSentiment.SentimentIntensityAnalyzer.polarity_scores(t).compound,
    classOf: bySign(0.05),
  },
  { name: 'wink-sentiment', how: 'normalizedScore; sign', score: (t) => winkSentiment(t).normalizedScore, classOf: bySign(0) },
  {
    name: 'natural SentimentAnalyzer',
    how: 'English AFINN + PorterStemmer on WordTokenizer tokens (NaN for no token → 0); sign',
    // getSentiment divides by the number of tokens: 0/0 for a text without words.
    score: (t) => natural.getSentiment(naturalWords.tokenize(t)) || 0,
    classOf: bySign(0),
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Row {
  dataset: string;
  scorer: string;
  how: string;
  n: number;
  r: number;
  accuracy: number;
  macroF1: number;
  textsPerSecond: number | null;
}

const rows: Row[] = [];
const ratios = new Map<string, number>();
let sink = 0;
const started = new Date().toISOString();
const load0 = loadavg();

// blend's nested cross-validation over both datasets together (as trained), reported per dataset.
const t0 = performance.now();
const samples = selectFeatures(featureTable(datasets), BLEND_TRAINING.features);
const cv = nestedCrossValidate(samples, BLEND_TRAINING.options);
console.log(`accuracy: blend nested 10-fold CV in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

let offset = 0;
for (const d of datasets) {
  const texts = d.snippets.map((s) => s.text);
  const human = d.snippets.map((s) => s.human);
  const truth = human.map((h) => humanClass(h / 4));
  const n = texts.length;
  // Scores, and then the timing rounds.
  const times = new Map<string, number[]>();
  const scores = new Map<string, number[]>();
  for (const sc of scorers) {
    scores.set(sc.name, texts.map(sc.score));
    times.set(sc.name, []);
  }
  for (let r = 0; r < rounds; r++) {
    for (const sc of scorers) {
      const start = performance.now();
      for (const t of texts) sink += sc.score(t);
      times.get(sc.name)!.push(n / ((performance.now() - start) / 1000));
    }
  }
  // blend's time over the two engines' in the same round: steadier than texts/s on a shared machine.
  const per = (name: string, r: number): number => 1 / times.get(name)![r]!;
  ratios.set(d.name, median(Array.from({ length: rounds }, (_, r) => per('blend (shipped)', r) / (per('textblob (ours)', r) + per('vader (ours)', r)))));
  const cvScores = Array.from(cv.scores.subarray(offset, offset + n));
  const cvLabels = cv.labels.slice(offset, offset + n);
  offset += n;
  const add = (scorer: string, how: string, s: number[], labels: Label[], tps: number | null): void => {
    const { accuracy, macroF1 } = classScores(truth, labels);
    rows.push({ dataset: d.name, scorer, how, n, r: pearson(s, human), accuracy, macroF1, textsPerSecond: tps });
  };
  for (const sc of scorers) {
    const s = scores.get(sc.name)!;
    add(sc.name, sc.how, s, s.map(sc.classOf), median(times.get(sc.name)!));
    // blend's honest figure right after the two engines (its speed is the shipped model's).
    if (sc.name === 'vader (ours)') add('blend (10-fold CV)', "score; ±the fold's own threshold", cvScores, cvLabels, null);
  }
  console.log(`accuracy: ${d.name} done`);
}
if (sink === 42) console.log(''); // keep the timed work observable

const f3 = (x: number): string => x.toFixed(3);
const lines: string[] = [
  '# Accuracy benchmark',
  '',
  `- date: ${started}`,
  `- machine: ${availableParallelism()} CPUs (nproc), ${cpus()[0]?.model ?? 'unknown CPU'}; node ${process.version}`,
  `- load average at start: ${load0.map((x) => x.toFixed(2)).join(', ')}, at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')} (other processes share the CPUs: speeds are indicative)`,
  `- command: \`npx tsc -p tsconfig.json && node dist/bench/accuracy.js${rounds !== 7 ? ` --rounds ${rounds}` : ''}\``,
  `- corpus: ${datasets.map((d) => `${d.name} (${d.snippets.length})`).join(', ')}; speed: median of ${rounds} rounds, one thread`,
  '',
  'Classes: humans positive if the mean rating > 0.5, negative if < −0.5 (scale −4…+4), else neutral.',
  "Each scorer by its own convention (column 'class rule'): VADER ±0.05 on compound (its authors'),",
  'blend ±its cross-validated threshold, the others by the sign. Macro-F1 is the mean F1 of the three classes.',
  '`blend (10-fold CV)`: the training procedure rerun on each 9/10 of the corpus (its own λ and threshold), scored',
  'on the other tenth — the honest figure. `blend (shipped)`: the committed model, trained on everything (in-sample).',
  '',
];
for (const d of datasets) {
  lines.push(`## ${d.name} (${d.snippets.length} texts)`, '', '| scorer | Pearson r | accuracy | macro-F1 | texts/s | class rule |', '|---|---:|---:|---:|---:|---|');
  for (const r of rows.filter((x) => x.dataset === d.name)) {
    const tps = r.textsPerSecond === null ? '—' : Math.round(r.textsPerSecond).toLocaleString('en-US');
    lines.push(`| ${r.scorer} | ${f3(r.r)} | ${f3(r.accuracy)} | ${f3(r.macroF1)} | ${tps} | ${r.how} |`);
  }
  lines.push('', `blend's time per text is ${ratios.get(d.name)!.toFixed(2)} × the sum of textblob's and vader()'s (median over the rounds).`, '');
}
const out = values.out!;
writeFileSync(join(repoRoot, `${out}.md`), lines.join('\n'));
writeFileSync(
  join(repoRoot, `${out}.json`),
  `${JSON.stringify({ date: started, node: process.version, loadAverage: load0, rounds, humanClasses: 'positive > 0.5, negative < -0.5', blendTimeOverEngines: Object.fromEntries(ratios), rows }, null, 2)}\n`,
);
console.log(lines.join('\n'));
