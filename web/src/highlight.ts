// Cuts the text the user typed into plain and marked segments, from the offsets the server sends
// (UTF-16 code units into the analysed text, i.e. JavaScript string indices). Nothing is searched
// for: the engine says where each word is. The server is trusted for where, not for being sane:
// a span out of range is clipped, one overlapping an earlier one is left unmarked, one that would
// cut a surrogate pair is widened to the whole character, and joining the segments' text always
// gives back the text exactly.
import type { Assessment } from './api.js';

export interface Mark<T> {
  readonly offset: number;
  readonly length: number;
  readonly item: T;
}

export interface Segment<T> {
  readonly text: string;
  /** The item this span shows, or undefined for plain text. */
  readonly item?: T;
}

function isInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n);
}

/**
 * Where a TextBlob assessment is in the text: from its first word to the end of its last. Taken as
 * the smallest offset and the largest end, because TextBlob puts a negation in front of the words
 * it negates, whatever the order of the text. Undefined when the server sent no usable span.
 */
export function assessmentSpan(a: Assessment): { offset: number; length: number } | undefined {
  const spans: unknown = a[4];
  if (!Array.isArray(spans)) return undefined;
  let start = Infinity;
  let end = -Infinity;
  for (const s of spans as unknown[]) {
    if (!Array.isArray(s) || !isInt(s[0]) || !isInt(s[1]) || s[1] < 0) continue;
    start = Math.min(start, s[0]);
    end = Math.max(end, s[0] + s[1]);
  }
  return start === Infinity ? undefined : { offset: start, length: end - start };
}

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/** [start, end) clipped to the text and widened to whole characters, or undefined if empty. */
function clip(text: string, offset: number, length: number): [number, number] | undefined {
  if (!isInt(offset) || !isInt(length)) return undefined;
  let start = Math.max(0, Math.min(offset, text.length));
  let end = Math.max(start, Math.min(offset + length, text.length));
  if (start > 0 && isLow(text.charCodeAt(start)) && isHigh(text.charCodeAt(start - 1))) start--;
  if (end > 0 && end < text.length && isLow(text.charCodeAt(end)) && isHigh(text.charCodeAt(end - 1))) end++;
  return end > start ? [start, end] : undefined;
}

/**
 * Splits `text` into plain and marked segments, marks in text order. A mark that is empty, out of
 * range or not made of integers is skipped; so is one overlapping a mark that starts earlier (or
 * at the same place and came first). Never throws.
 */
export function highlight<T>(text: string, marks: readonly Mark<T>[]): Segment<T>[] {
  const spans: { start: number; end: number; item: T }[] = [];
  for (const m of marks) {
    const span = clip(text, m.offset, m.length);
    if (span) spans.push({ start: span[0], end: span[1], item: m.item });
  }
  spans.sort((a, b) => a.start - b.start); // stable: equal starts keep the server's order
  const segments: Segment<T>[] = [];
  let cursor = 0;
  for (const { start, end, item } of spans) {
    if (start < cursor) continue;
    if (start > cursor) segments.push({ text: text.slice(cursor, start) });
    segments.push({ text: text.slice(start, end), item });
    cursor = end;
  }
  if (cursor < text.length) segments.push({ text: text.slice(cursor) });
  return segments;
}

/** The text of [offset, offset + length), clipped like a mark; '' when nothing is left. */
export function sliceOf(text: string, offset: number, length: number): string {
  const span = clip(text, offset, length);
  return span ? text.slice(span[0], span[1]) : '';
}
