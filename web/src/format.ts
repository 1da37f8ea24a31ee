// How numbers, labels and times read on the page. Shared by the result and the history list.
import { isEngineName, type EngineName, type Label } from './api.js';

/** +0.50, −0.35, 0.00: always two decimals and a real minus sign, so scores line up. */
export function formatScore(n: number): string {
  const fixed = Math.abs(n).toFixed(2);
  if (fixed === '0.00') return '0.00';
  return (n > 0 ? '+' : '\u2212') + fixed;
}

export function labelText(label: Label): string {
  return label === 'positive' ? 'Positive' : label === 'negative' ? 'Negative' : 'Neutral';
}

/** A shape as well as a colour, so the label never depends on colour alone. */
export function labelSymbol(label: Label): string {
  return label === 'positive' ? '\u25B2' : label === 'negative' ? '\u25BC' : '\u25CF';
}

/** TextBlob's subjectivity: 0 is a plain fact, 1 a pure opinion. */
export function subjectivityText(s: number): string {
  if (s < 0.2) return 'objective';
  if (s < 0.45) return 'mostly objective';
  if (s < 0.7) return 'fairly subjective';
  return 'subjective';
}

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const TIME = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

/** "14:02" today, "27 Nov 2025, 14:02" otherwise. */
export function formatTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toDateString() === now.toDateString() ? TIME.format(d) : DATE_TIME.format(d);
}

/** Unicode characters, as the server counts them for its limit (not UTF-16 units). */
export function countChars(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

const ENGINE_TITLES: Readonly<Record<EngineName, string>> = { textblob: 'TextBlob', vader: 'VADER', blend: 'Blend' };

/** "TextBlob", "VADER", "Blend"; an engine this page does not know yet is shown as the server names it. */
export function engineTitle(engine: string): string {
  return isEngineName(engine) ? ENGINE_TITLES[engine] : engine;
}

/** A plain number: whole numbers as they are, others with two decimals. */
export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n).replace('-', '\u2212') : n.toFixed(2).replace('-', '\u2212');
}

// Words that name something in a blend feature ("vader_compound" → "VADER compound").
const FEATURE_WORDS: Readonly<Record<string, string>> = {
  vader: 'VADER', textblob: 'TextBlob', tb: 'TextBlob', pos: 'positive', neg: 'negative', neu: 'neutral',
  subj: 'subjectivity', pol: 'polarity', caps: 'capitals', excl: 'exclamation marks', num: 'number of', n: 'number of',
  avg: 'average', mean: 'mean', abs: 'absolute', len: 'length', frac: 'share of', ratio: 'ratio', qmark: 'question marks',
};
const FEATURE_NAMES: Readonly<Record<string, string>> = { bias: 'Baseline', intercept: 'Baseline' };

/** A model feature's name made readable: "vader_compound" → "VADER compound", "capsRatio" → "Capitals ratio". */
export function featureName(feature: string): string {
  const known = FEATURE_NAMES[feature.toLowerCase()];
  if (known !== undefined) return known;
  const words = feature
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_.:/-]+/)
    .filter((w) => w !== '')
    .map((w) => FEATURE_WORDS[w.toLowerCase()] ?? w.toLowerCase());
  const name = words.join(' ');
  return name === '' ? feature : name.charAt(0).toUpperCase() + name.slice(1);
}
