/**
 * Reading the shared reference corpus (../shared/corpus/*.jsonl, see its README) for training,
 * the accuracy benchmark and the tests. Not on the scoring path: blend() never reads a file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blendFeatures } from './features.js';
import type { FeatureTable } from './train-core.js';

export interface CorpusSnippet {
  id: string;
  text: string;
  /** The mean of 20 human ratings, −4 … +4. */
  human: number;
  vader: { compound: number; pos: number; neu: number; neg: number };
  textblob: { polarity: number; subjectivity: number };
}

export interface Dataset {
  /** The file's name without .jsonl: "movie_reviews", "tweets". */
  name: string;
  snippets: CorpusSnippet[];
}

/** POLARITY_CORPUS_DIR, or `shared/corpus` beside the repository at `repoRoot`. */
export function corpusDir(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.POLARITY_CORPUS_DIR ?? join(repoRoot, '..', 'shared', 'corpus');
}

/** Every *.jsonl in `dir`, sorted by name; null when the folder does not exist. */
export function readCorpus(dir: string): Dataset[] | null {
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort();
  return files.map((f) => ({
    name: f.slice(0, -'.jsonl'.length),
    snippets: readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as CorpusSnippet),
  }));
}

/** Every candidate feature of every snippet, computed by the real engines; target = human / 4. */
export function featureTable(datasets: readonly Dataset[]): FeatureTable {
  return {
    groupNames: datasets.map((d) => d.name),
    rows: datasets.flatMap((d, group) => d.snippets.map((s) => ({ x: blendFeatures(s.text), y: s.human / 4, group }))),
  };
}
