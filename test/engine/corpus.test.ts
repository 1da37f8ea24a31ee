// Fidelity on the shared reference corpus: every snippet must score exactly as TextBlob 0.18 did
// (polarity and subjectivity within 1e-12, the same assessments).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyze } from '../../src/engine/index.js';
import { assertAnalysisClose, type ExpectedAssessment } from './helpers.js';

// This file runs from dist/test/engine/; the repository root is three levels up, and the shared
// corpus sits beside the repository.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const corpusDir = process.env.POLARITY_CORPUS_DIR ?? join(repoRoot, '..', 'shared', 'corpus');

interface Snippet {
  id: string;
  text: string;
  textblob: { polarity: number; subjectivity: number };
  textblob_assessments: ExpectedAssessment[];
}

test('corpus: every snippet scores exactly as TextBlob 0.18', (t) => {
  if (!existsSync(corpusDir)) {
    t.skip(`${corpusDir} not found: corpus fidelity check skipped`);
    return;
  }
  const files = readdirSync(corpusDir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort();
  assert.ok(files.length > 0, `no .jsonl files in ${corpusDir}`);
  let checked = 0;
  const failures: string[] = [];
  for (const file of files) {
    const lines = readFileSync(join(corpusDir, file), 'utf8').split('\n');
    for (const line of lines) {
      if (line.trim() === '') continue;
      const s = JSON.parse(line) as Snippet;
      checked++;
      try {
        assertAnalysisClose(analyze(s.text), { polarity: s.textblob.polarity, subjectivity: s.textblob.subjectivity, assessments: s.textblob_assessments }, `${file}#${s.id}`);
      } catch (err) {
        failures.push(`${(err as Error).message} — text ${JSON.stringify(s.text)}`);
      }
    }
  }
  t.diagnostic(`checked ${checked} snippets from ${files.join(', ')}: ${checked - failures.length} match TextBlob`);
  console.log(`corpus: checked ${checked} snippets, ${checked - failures.length} match TextBlob`);
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${checked} snippets differ`);
  assert.ok(checked > 0);
});
