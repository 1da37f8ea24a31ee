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

// The blend model's features (src/engine/blend/features.ts FEATURE_NAMES) as a reader would say them.
const FEATURE_NAMES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    tbPolarity: 'TextBlob polarity',
    tbSubjectivity: 'TextBlob subjectivity',
    tbEvidence: 'TextBlob polarity \u00D7 \u221Aphrases',
    tbAssessments: 'TextBlob phrases (log)',
    tbMax: 'Most positive TextBlob phrase',
    tbMin: 'Most negative TextBlob phrase',
    tbNegated: 'Negated TextBlob phrases',
    tbEmoticons: 'Emoticons',
    vCompound: 'VADER compound',
    vPos: 'VADER positive share',
    vNeu: 'VADER neutral share',
    vNeg: 'VADER negative share',
    vSum: 'Sum of VADER valences',
    vPunct: 'VADER punctuation emphasis',
    vPosSum: 'Sum of positive valences',
    vNegSum: 'Sum of negative valences',
    vMaxPositive: 'Most positive word',
    vMaxNegative: 'Most negative word',
    vPositiveWords: 'Positive words',
    vNegativeWords: 'Negative words',
    negations: 'Negations',
    buts: '\u201CBut\u201D',
    exclamations: 'Exclamation marks',
    questions: 'Question marks',
    capsWords: 'Words in capitals',
    emoji: 'Emoji',
    logTokens: 'Length (log words)',
    tbTimesVader: 'TextBlob \u00D7 VADER',
    vaderIfNoTextblob: 'VADER where TextBlob found nothing',
    textblobIfNoVader: 'TextBlob where VADER found nothing',
  }),
);
const FEATURE_WORDS: ReadonlyMap<string, string> = new Map([
  ['tb', 'TextBlob'],
  ['textblob', 'TextBlob'],
  ['v', 'VADER'],
  ['vader', 'VADER'],
]);

/** A model feature's name made readable; one this page does not know is split into words ("vFooBar" → "VADER foo bar"). */
export function featureName(feature: string): string {
  const known = FEATURE_NAMES.get(feature);
  if (known !== undefined) return known;
  const words = feature
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_.:/-]+/)
    .filter((w) => w !== '')
    .map((w) => FEATURE_WORDS.get(w.toLowerCase()) ?? w.toLowerCase());
  const name = words.join(' ');
  return name === '' ? feature : name.charAt(0).toUpperCase() + name.slice(1);
}
