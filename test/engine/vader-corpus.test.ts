// Fidelity on the shared reference corpus: every snippet must score exactly as vaderSentiment
// (cjhutto/vaderSentiment at 44fc044) did — all four numbers of polarity_scores, bit for bit.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { vader, type VaderScores } from '../../src/engine/vader/index.js';

// This file runs from dist/test/engine/; the repository root is three levels up, and the shared
// corpus sits beside the repository.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const corpusDir = process.env.POLARITY_CORPUS_DIR ?? join(repoRoot, '..', 'shared', 'corpus');
const FILES = ['tweets.jsonl', 'movie_reviews.jsonl'];

interface Snippet {
  id: string;
  text: string;
  vader: VaderScores;
}

test('corpus: every snippet scores exactly as vaderSentiment 44fc044', (t) => {
  const missing = FILES.filter((f) => !existsSync(join(corpusDir, f)));
  if (missing.length > 0) {
    t.skip(`${missing.join(', ')} not found in ${corpusDir}: VADER corpus fidelity check skipped`);
    return;
  }
  let checked = 0;
  const failures: string[] = [];
  for (const file of FILES) {
    for (const line of readFileSync(join(corpusDir, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const s = JSON.parse(line) as Snippet;
      checked++;
      const got = vader(s.text);
      // Object.is: exact, and -0 is not 0
      if (!(['compound', 'pos', 'neu', 'neg'] as const).every((k) => Object.is(got[k], s.vader[k]))) {
        failures.push(`${file}#${s.id}: ${JSON.stringify(got)}, expected ${JSON.stringify(s.vader)} — text ${JSON.stringify(s.text)}`);
      }
    }
  }
  const summary = `vader: ${checked - failures.length}/${checked} exact`;
  t.diagnostic(summary);
  console.log(summary);
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${checked} snippets differ`);
  assert.equal(checked, 14805);
});
