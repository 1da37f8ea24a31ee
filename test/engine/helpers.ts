import assert from 'node:assert/strict';
import type { Analysis, AssessmentLabel } from '../../src/engine/index.js';

/** An expected assessment row: [words, polarity, subjectivity, label]. */
export type ExpectedAssessment = [string[], number, number, AssessmentLabel | string];

/** The fidelity bar: TextBlob's floats, to within 1e-12. */
export const TOLERANCE = 1e-12;

/** Asserts polarity, subjectivity and every assessment (same chunks, words, labels; values within 1e-12). */
export function assertAnalysisClose(actual: Analysis, expected: { polarity: number; subjectivity: number; assessments: readonly ExpectedAssessment[] }, what: string): void {
  const close = (a: number, b: number, field: string): void => {
    assert.ok(Number.isFinite(a) && Math.abs(a - b) <= TOLERANCE, `${what}: ${field} ${a} != ${b}`);
  };
  close(actual.polarity, expected.polarity, 'polarity');
  close(actual.subjectivity, expected.subjectivity, 'subjectivity');
  assert.equal(actual.assessments.length, expected.assessments.length, `${what}: assessment count (${JSON.stringify(actual.assessments)})`);
  expected.assessments.forEach(([words, p, s, label], k) => {
    const got = actual.assessments[k]!;
    assert.deepEqual(got[0], words, `${what}: words of assessment ${k}`);
    close(got[1], p, `polarity of assessment ${k}`);
    close(got[2], s, `subjectivity of assessment ${k}`);
    assert.equal(got[3], label, `${what}: label of assessment ${k}`);
  });
}

/** A small seeded PRNG (xorshift32), so random tests are reproducible: the one the hostile shapes use. */
export { xorshift } from '../../bench/hostile-inputs.js';
