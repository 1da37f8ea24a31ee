// The result panel: the score as a number and on a −1…+1 scale, its label, engine and
// subjectivity; "Why", in the engine's own terms (TextBlob's phrases, VADER's word valences, the
// blend model's largest contributions), with the words marked in the text by the offsets the server
// sent; and, for a text of several sentences, each sentence's own score.
import type { Analysis, Assessment, Contribution, Label, SentenceScore, VaderScores, WordValence } from './api.js';
import { h } from './dom.js';
import { engineTitle, featureName, formatNumber, formatScore, labelSymbol, labelText, subjectivityText } from './format.js';
import { assessmentSpan, highlight, sliceOf, type Mark } from './highlight.js';

type Tone = 'pos' | 'neg' | 'neu';

/** The tone of a word's own contribution: its sign. */
function tone(n: number): Tone {
  return n > 0 ? 'pos' : n < 0 ? 'neg' : 'neu';
}

/** The tone of a score: the server's label (each engine has its own neutral band), never the sign. */
function labelTone(label: Label): Tone {
  return label === 'positive' ? 'pos' : label === 'negative' ? 'neg' : 'neu';
}

const KIND: Record<string, string> = { mood: 'emoticon', irony: 'irony', profanity: 'profanity' };
/** The blend model's features shown: the rest add little and would make the panel long. */
const TOP_CONTRIBUTIONS = 4;
/** Sentences longer than this are shortened in the per-sentence list (the full text is above). */
const SENTENCE_CHARS = 140;

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function shortened(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max
    ? text
    : chars
        .slice(0, max - 1)
        .join('')
        .trimEnd() + '\u2026';
}

/** The text with each mark's words highlighted and its signed number beside them. */
function markedText<T>(text: string, marks: readonly Mark<T>[], weightOf: (item: T) => number, label: string): HTMLElement {
  const body = h('div', { class: 'why-text', attrs: { role: 'group', tabindex: '0', 'aria-label': label } });
  for (const seg of highlight(text, marks)) {
    if (seg.item === undefined) {
      body.append(seg.text);
      continue;
    }
    const v = weightOf(seg.item);
    body.append(h('mark', { class: `hl ${tone(v)}` }, seg.text, h('span', { class: 'hl-score' }, ` ${formatScore(v)}`)));
  }
  return body;
}

function chip(value: number, text: string, extra?: string): HTMLLIElement {
  return h('li', null, h('span', { class: `contrib ${tone(value)}` }, formatScore(value)), ' ', h('span', { class: 'phrase' }, text), extra ? h('span', { class: 'kind' }, extra) : null);
}

function note(text: string): HTMLParagraphElement {
  return h('p', { class: 'muted small' }, text);
}

function isTextBlobAssessment(a: unknown): a is Assessment {
  return Array.isArray(a) && Array.isArray(a[0]) && typeof a[1] === 'number';
}

function isWordValence(a: unknown): a is WordValence {
  return typeof a === 'object' && a !== null && !Array.isArray(a) && typeof (a as WordValence).valence === 'number';
}

/** TextBlob: the phrases and their polarities; the score is their average. */
function whyTextBlob(text: string, result: Analysis): (Node | string)[] {
  const assessments = (result.assessments ?? []).filter(isTextBlobAssessment);
  const n = assessments.length;
  if (n === 0) return [note('No word in this text is in the sentiment lexicon, so its score is 0 (neutral).')];
  const marks: Mark<Assessment>[] = [];
  const phrases: string[] = [];
  for (const a of assessments) {
    const span = assessmentSpan(a);
    if (span) marks.push({ ...span, item: a });
    const shown = span ? collapse(sliceOf(text, span.offset, span.length)) : '';
    phrases.push(shown === '' ? a[0].join(' ') : shown);
  }
  return [
    markedText(text, marks, (a) => a[1], 'Your text, with the phrases that moved the score marked'),
    h('ul', { class: 'why-list' }, ...assessments.map((a, i) => chip(a[1], `\u201C${phrases[i]}\u201D`, a[3] ? (KIND[a[3]] ?? a[3]) : undefined))),
    note(n === 1 ? 'The score is this phrase\u2019s polarity.' : `The score is the average of these ${n} phrases\u2019 polarities.`),
  ];
}

function wordMarks(result: Analysis): Mark<WordValence>[] {
  return (result.assessments ?? []).filter(isWordValence).map((w) => ({ offset: w.offset, length: w.length, item: w }));
}

function vaderShares(v: VaderScores): HTMLParagraphElement {
  return h(
    'p',
    { class: 'shares small', attrs: { 'data-testid': 'vader-shares' } },
    'Of the text\u2019s sentiment: ',
    h('span', { class: 'pos-text' }, `positive ${v.pos.toFixed(2)}`),
    ' \u00B7 ',
    `neutral ${v.neu.toFixed(2)}`,
    ' \u00B7 ',
    h('span', { class: 'neg-text' }, `negative ${v.neg.toFixed(2)}`),
  );
}

/** VADER: the words with their valences (after its rules), and its positive/neutral/negative shares. */
function whyVader(text: string, result: Analysis): (Node | string)[] {
  const marks = wordMarks(result);
  const out: (Node | string)[] = [];
  if (marks.length === 0) {
    out.push(note('No word in this text carries sentiment in VADER\u2019s lexicon, so its score is 0 (neutral).'));
  } else {
    out.push(
      markedText(text, marks, (w) => w.valence, 'Your text, with the words that carry sentiment marked'),
      h('ul', { class: 'why-list' }, ...marks.map((m) => chip(m.item.valence, collapse(sliceOf(text, m.offset, m.length)) || m.item.word))),
    );
  }
  if (result.vader) out.push(vaderShares(result.vader));
  if (marks.length > 0) {
    out.push(note('Valences (about \u22124\u2026+4) are after VADER\u2019s rules for negation, boosters, capitals and \u201Cbut\u201D; the score is their sum, scaled into \u22121\u2026+1.'));
  }
  return out;
}

/** Blend: the features that weighed most, then the words VADER's rules gave valence. */
function whyBlend(text: string, result: Analysis): (Node | string)[] {
  const top = [...(result.contributions ?? [])]
    .filter((c): c is Contribution => typeof c?.contribution === 'number' && typeof c.feature === 'string')
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, TOP_CONTRIBUTIONS);
  const out: (Node | string)[] = [];
  if (top.length > 0) {
    out.push(
      note('The model\u2019s largest contributions to this score:'),
      h('ul', { class: 'why-list contributions' }, ...top.map((c) => chip(c.contribution, featureName(c.feature), `= ${formatNumber(c.value)}`))),
    );
  }
  const marks = wordMarks(result);
  if (marks.length > 0) {
    out.push(markedText(text, marks, (w) => w.valence, 'Your text, with the words that carry sentiment marked'));
    out.push(note('Marked: the words that carry sentiment, with their valence after VADER\u2019s rules (about \u22124\u2026+4).'));
  } else {
    out.push(note('No word in this text carries sentiment in VADER\u2019s lexicon.'));
  }
  return out;
}

/** Each sentence with its own score, when there is more than one. */
function bySentence(text: string, sentences: readonly SentenceScore[]): (Node | string)[] {
  const shown = sentences.map((s) => ({ s, text: collapse(sliceOf(text, s.offset, s.length)) })).filter((x) => x.text !== '');
  if (shown.length < 2) return [];
  return [
    h('h3', { class: 'why-heading' }, 'Sentence by sentence'),
    h(
      'ol',
      { class: 'sentences', attrs: { 'data-testid': 'sentences' } },
      ...shown.map(({ s, text: sentence }) =>
        h(
          'li',
          { class: `sentence ${labelTone(s.label)}` },
          h(
            'span',
            { class: 'sentence-score' },
            h('span', { class: 'sentence-num' }, formatScore(s.sentiment)),
            h('span', { class: 'sentence-label' }, h('span', { class: 'sym', attrs: { 'aria-hidden': 'true' } }, labelSymbol(s.label)), ' ', labelText(s.label)),
          ),
          h('span', { class: 'sentence-text' }, shortened(sentence, SENTENCE_CHARS)),
        ),
      ),
    ),
  ];
}

export function renderResult(container: HTMLElement, text: string, result: Analysis): void {
  const t = labelTone(result.label);
  const marker = h('div', { class: `scale-marker ${t}` });
  // CSSOM (not a style attribute), which the page's CSP allows: −1 is the left end, +1 the right.
  marker.style.setProperty('--at', `${((Math.max(-1, Math.min(1, result.sentiment)) + 1) / 2) * 100}%`);

  const why = result.engine === 'vader' ? whyVader(text, result) : result.engine === 'blend' ? whyBlend(text, result) : whyTextBlob(text, result);

  container.replaceChildren(
    h(
      'div',
      { class: 'score-row' },
      h(
        'p',
        { class: `score ${t}` },
        h('span', { class: 'score-num', attrs: { 'data-testid': 'score' } }, formatScore(result.sentiment)),
        h('span', { class: 'score-label', attrs: { 'data-testid': 'label' } }, h('span', { class: 'sym', attrs: { 'aria-hidden': 'true' } }, labelSymbol(result.label)), ' ', labelText(result.label)),
      ),
      h(
        'div',
        { class: 'result-meta' },
        h('p', { class: 'engine-used' }, 'Engine ', h('strong', { attrs: { 'data-testid': 'engine' } }, engineTitle(result.engine))),
        h('p', { class: 'subjectivity' }, 'Subjectivity ', h('strong', null, result.subjectivity.toFixed(2)), ` \u00B7 ${subjectivityText(result.subjectivity)}`),
      ),
    ),
    h(
      'div',
      { class: 'scale', attrs: { 'aria-hidden': 'true' } },
      h('div', { class: 'scale-track' }),
      marker,
      h('div', { class: 'scale-ticks' }, h('span', null, '\u22121 negative'), h('span', null, '0'), h('span', null, '+1 positive')),
    ),
    h('h3', { class: 'why-heading' }, 'Why'),
    ...why,
    ...bySentence(text, result.sentences ?? []),
  );
  container.hidden = false;
}

/** The sentence the live region reads out. */
export function announcement(result: Analysis): string {
  const score = formatScore(result.sentiment).replace('\u2212', 'minus ');
  return `${labelText(result.label)}, score ${score} by ${engineTitle(result.engine)}, subjectivity ${result.subjectivity.toFixed(2)}.`;
}
