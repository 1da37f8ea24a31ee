// The result panel: the score as a number and on a −1…+1 scale, its label and subjectivity, and
// "why": the text with the phrases that moved the score highlighted, and a list of them.
import type { Analysis, Assessment } from './api.js';
import { h } from './dom.js';
import { formatScore, labelSymbol, labelText, subjectivityText } from './format.js';
import { highlight } from './highlight.js';

function tone(n: number): 'pos' | 'neg' | 'neu' {
  return n > 0 ? 'pos' : n < 0 ? 'neg' : 'neu';
}

const KIND: Record<string, string> = { mood: 'emoticon', irony: 'irony', profanity: 'profanity' };

function phraseOf(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function whyText(text: string, assessments: readonly Assessment[]): { body: HTMLElement; phrases: { text: string; a: Assessment }[] } {
  const body = h('div', { class: 'why-text', attrs: { role: 'group', tabindex: '0', 'aria-label': 'Your text, with the phrases that moved the score marked' } });
  const phrases: { text: string; a: Assessment }[] = [];
  for (const seg of highlight(text, assessments)) {
    if (!seg.assessment) {
      body.append(seg.text);
      continue;
    }
    const p = seg.assessment[1];
    phrases.push({ text: seg.text, a: seg.assessment });
    body.append(h('mark', { class: `hl ${tone(p)}` },
      seg.text,
      h('span', { class: 'hl-score' }, ` ${formatScore(p)}`),
    ));
  }
  return { body, phrases };
}

export function renderResult(container: HTMLElement, text: string, result: Analysis): void {
  const t = tone(result.sentiment);
  const marker = h('div', { class: `scale-marker ${t}` });
  // CSSOM (not a style attribute), which the page's CSP allows: −1 is the left end, +1 the right.
  marker.style.setProperty('--at', `${((Math.max(-1, Math.min(1, result.sentiment)) + 1) / 2) * 100}%`);

  const assessments = result.assessments ?? [];
  const { body, phrases } = whyText(text, assessments);
  const n = assessments.length;
  const why: (Node | string)[] = [];
  if (n === 0) {
    why.push(h('p', { class: 'muted' }, 'No word in this text is in the sentiment lexicon, so its score is 0 (neutral).'));
  } else {
    why.push(body);
    why.push(h('ul', { class: 'why-list' }, ...phrases.map(({ text: phrase, a }) =>
      h('li', null,
        h('span', { class: `contrib ${tone(a[1])}` }, formatScore(a[1])),
        ' ',
        h('span', { class: 'phrase' }, `\u201C${phraseOf(phrase)}\u201D`),
        a[3] ? h('span', { class: 'kind' }, KIND[a[3]] ?? a[3]) : null,
      ),
    )));
    why.push(h('p', { class: 'muted small' },
      n === 1 ? 'The score is this phrase\u2019s polarity.' : `The score is the average of these ${n} phrases\u2019 polarities.`,
    ));
  }

  container.replaceChildren(
    h('div', { class: 'score-row' },
      h('p', { class: `score ${t}` },
        h('span', { class: 'score-num', attrs: { 'data-testid': 'score' } }, formatScore(result.sentiment)),
        h('span', { class: 'score-label', attrs: { 'data-testid': 'label' } },
          h('span', { class: 'sym', attrs: { 'aria-hidden': 'true' } }, labelSymbol(result.label)), ' ', labelText(result.label)),
      ),
      h('p', { class: 'subjectivity' },
        'Subjectivity ', h('strong', null, result.subjectivity.toFixed(2)), ` \u00B7 ${subjectivityText(result.subjectivity)}`),
    ),
    h('div', { class: 'scale', attrs: { 'aria-hidden': 'true' } },
      h('div', { class: 'scale-track' }),
      marker,
      h('div', { class: 'scale-ticks' }, h('span', null, '\u22121 negative'), h('span', null, '0'), h('span', null, '+1 positive')),
    ),
    h('h3', { class: 'why-heading' }, 'Why'),
    ...why,
  );
  container.hidden = false;
}

/** The sentence the live region reads out. */
export function announcement(result: Analysis): string {
  return `${labelText(result.label)}, score ${formatScore(result.sentiment).replace('\u2212', 'minus ')}, subjectivity ${result.subjectivity.toFixed(2)}.`;
}
