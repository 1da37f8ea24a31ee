// Maps the engine's assessments back onto the text the user typed, so the words that moved the
// score can be highlighted in place. TextBlob reports each assessment as lower-cased tokens
// (["not", "good"], ["very", "good", "!"], [":)"]) in text order; we find each token in the
// original text, case-insensitively, moving forward only, and mark the span from an assessment's
// first token to its last.
import type { Assessment } from './api.js';

export interface Segment {
  readonly text: string;
  /** The assessment this span shows, or undefined for plain text. */
  readonly assessment?: Assessment;
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where `token` next occurs at or after `from`: as a whole word if possible, else anywhere. */
function find(text: string, token: string, from: number): { start: number; end: number } | undefined {
  if (token === '') return undefined;
  const body = escapeRegExp(token);
  // "good" must not match inside "goodness"; but "n't" (from "isn't") has letters on its left.
  const left = WORD_CHAR.test(token[0]!) ? '(?<![\\p{L}\\p{N}])' : '';
  const right = WORD_CHAR.test(token[token.length - 1]!) ? '(?![\\p{L}\\p{N}])' : '';
  for (const pattern of [left + body + right, body]) {
    const re = new RegExp(pattern, 'giu');
    re.lastIndex = from;
    const m = re.exec(text);
    if (m) return { start: m.index, end: m.index + m[0].length };
  }
  return undefined;
}

/**
 * Splits `text` into plain and highlighted segments. Tokens that cannot be found (the engine may
 * normalise some characters) are skipped; an assessment none of whose tokens is found is left out.
 * Joining the segments' text always gives back `text` exactly.
 */
export function highlight(text: string, assessments: readonly Assessment[]): Segment[] {
  const segments: Segment[] = [];
  let cursor = 0;
  for (const assessment of assessments) {
    const words = assessment[0];
    let start: number | undefined;
    let end = cursor;
    for (const word of words) {
      const hit = find(text, word, end);
      if (!hit) continue;
      start ??= hit.start;
      end = hit.end;
    }
    if (start === undefined) continue;
    if (start > cursor) segments.push({ text: text.slice(cursor, start) });
    segments.push({ text: text.slice(start, end), assessment });
    cursor = end;
  }
  if (cursor < text.length) segments.push({ text: text.slice(cursor) });
  return segments;
}
