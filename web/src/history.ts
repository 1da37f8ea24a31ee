// The history panel: pages of GET /history (newest first, following the Link cursor) plus live
// rows from GET /history/stream (Server-Sent Events). Every row is keyed by id, so a row that
// arrives twice (our own POST, then the stream; or a page overlapping the stream) shows once.
import { ApiError, historyPage, type HistoryRow } from './api.js';
import { h } from './dom.js';
import { countChars, engineTitle, formatScore, formatTime, labelSymbol, labelText } from './format.js';

const PAGE_SIZE = 20;
/** Longer texts are shortened in the list behind a "Show more" toggle. */
const SHORT_CHARS = 220;
/** Wait before re-opening a stream the browser gave up on (EventSource retries by itself otherwise). */
const REOPEN_MS = 5000;

export interface HistoryElements {
  list: HTMLOListElement;
  status: HTMLElement;
  older: HTMLButtonElement;
  live: HTMLElement;
}

function shorten(text: string): string | undefined {
  if (countChars(text) <= SHORT_CHARS) return undefined;
  const chars = Array.from(text).slice(0, SHORT_CHARS).join('');
  // Cut at the last space if there is one near the end, so words stay whole.
  const space = chars.lastIndexOf(' ');
  return (space > SHORT_CHARS * 0.7 ? chars.slice(0, space) : chars).trimEnd() + '\u2026';
}

function renderRow(row: HistoryRow): HTMLLIElement {
  const textId = `h-text-${row.id}`;
  const short = shorten(row.text);
  const text = h('p', { class: 'item-text', attrs: { id: textId } }, short ?? row.text);
  let toggle: HTMLButtonElement | undefined;
  if (short !== undefined) {
    toggle = h('button', { class: 'link more', attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': textId } }, 'Show more');
    toggle.addEventListener('click', () => {
      const open = toggle!.getAttribute('aria-expanded') !== 'true';
      toggle!.setAttribute('aria-expanded', String(open));
      toggle!.textContent = open ? 'Show less' : 'Show more';
      text.textContent = open ? row.text : short;
    });
  }
  // The server's label, by the row's engine's own thresholds.
  const tone = row.label === 'positive' ? 'pos' : row.label === 'negative' ? 'neg' : 'neu';
  return h(
    'li',
    { class: 'item', attrs: { 'data-id': String(row.id) } },
    h(
      'div',
      { class: `item-score ${tone}` },
      h('span', { class: 'item-num' }, formatScore(row.sentiment)),
      h('span', { class: 'item-label' }, h('span', { class: 'sym', attrs: { 'aria-hidden': 'true' } }, labelSymbol(row.label)), ' ', labelText(row.label)),
    ),
    h(
      'div',
      { class: 'item-body' },
      text,
      toggle,
      h(
        'p',
        { class: 'item-meta' },
        // Rows stored before engines could be chosen were all scored by TextBlob.
        h('span', { class: 'engine-badge' }, engineTitle(row.engine ?? 'textblob')),
        ' ',
        h('time', { attrs: { datetime: row.createdAt, title: new Date(row.createdAt).toLocaleString() } }, formatTime(row.createdAt)),
        h('span', { attrs: { 'aria-hidden': 'true' } }, ' \u00B7 '),
        `subjectivity ${row.subjectivity.toFixed(2)}`,
      ),
    ),
  );
}

export class HistoryView {
  private readonly items = new Map<number, HTMLLIElement>();
  /** The next (older) page, from the Link header; undefined once the oldest row is shown. */
  private next: string | undefined;
  private firstLoaded = false;
  private loading = false;
  private stream: EventSource | undefined;
  private reopenTimer: number | undefined;

  constructor(private readonly el: HistoryElements) {
    el.older.addEventListener('click', () => void this.loadOlder());
  }

  private get newestId(): number {
    let max = 0;
    for (const id of this.items.keys()) if (id > max) max = id;
    return max;
  }

  /** Shows a row in id order (newest first) unless it is already shown. */
  add(row: HistoryRow, fresh = false): void {
    if (this.items.has(row.id)) return;
    const li = renderRow(row);
    let before: Element | null = null;
    for (const child of this.el.list.children) {
      if (Number((child as HTMLElement).dataset['id']) < row.id) {
        before = child;
        break;
      }
    }
    // Older than everything shown while older pages remain: "Load older" will bring it in place.
    if (before === null && this.next !== undefined && this.items.size > 0) return;
    if (fresh) li.classList.add('fresh');
    this.el.list.insertBefore(li, before);
    this.items.set(row.id, li);
    this.updateEmpty();
  }

  /**
   * Adds a page below what is shown: its rows are all older than the ones shown (the cursor
   * guarantees it), except rows the live stream may already have added. Returns how many were new.
   */
  private appendPage(rows: readonly HistoryRow[]): number {
    let added = 0;
    for (const row of rows) {
      if (this.items.has(row.id)) continue;
      const li = renderRow(row);
      this.el.list.append(li);
      this.items.set(row.id, li);
      added++;
    }
    return added;
  }

  private updateEmpty(): void {
    if (!this.firstLoaded) return;
    if (this.items.size === 0) this.el.status.textContent = 'No analyses yet. Analyze a text and it appears here.';
    else if (this.el.status.dataset['kind'] !== 'error') this.el.status.textContent = '';
  }

  private setStatus(text: string, kind: 'info' | 'error' = 'info'): void {
    this.el.status.textContent = text;
    this.el.status.dataset['kind'] = kind;
    this.el.status.classList.toggle('error-text', kind === 'error');
  }

  async loadFirst(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    this.setStatus('Loading history\u2026');
    try {
      const page = await historyPage(`history?limit=${PAGE_SIZE}`);
      this.firstLoaded = true;
      this.setStatus('');
      this.appendPage(page.rows);
      this.next = page.next;
      this.updateEmpty();
      this.el.older.hidden = this.next === undefined;
      this.openStream();
    } catch (err) {
      this.showLoadError(err, () => void this.loadFirst());
    } finally {
      this.loading = false;
    }
  }

  private async loadOlder(): Promise<void> {
    if (this.loading || this.next === undefined) return;
    this.loading = true;
    this.el.older.setAttribute('aria-busy', 'true');
    this.el.older.textContent = 'Loading\u2026';
    try {
      const page = await historyPage(this.next);
      this.next = page.next;
      const added = this.appendPage(page.rows);
      this.setStatus(this.next === undefined ? `Loaded ${added} older analyses. That is the whole history.` : `Loaded ${added} older analyses.`);
      this.el.older.hidden = this.next === undefined;
      if (this.el.older.hidden) this.el.status.focus();
    } catch (err) {
      this.showLoadError(err, () => void this.loadOlder());
    } finally {
      this.loading = false;
      this.el.older.removeAttribute('aria-busy');
      this.el.older.textContent = 'Load older';
    }
  }

  private showLoadError(err: unknown, retry: () => void): void {
    const message = err instanceof ApiError ? err.message : 'The history could not be loaded.';
    this.setStatus(`${message} `, 'error');
    const button = h('button', { class: 'link', attrs: { type: 'button' } }, 'Retry');
    button.addEventListener('click', retry);
    this.el.status.append(button);
  }

  /** Live rows from every writer; resumes after the newest row shown, so none is missed in between. */
  private openStream(): void {
    if (this.stream || typeof EventSource === 'undefined') return;
    const stream = new EventSource(`history/stream?after=${this.newestId}`);
    this.stream = stream;
    this.setLive('connecting');
    stream.addEventListener('open', () => this.setLive('live'));
    stream.addEventListener('analysis', (event) => {
      try {
        this.add(JSON.parse((event as MessageEvent<string>).data) as HistoryRow, true);
      } catch {
        // A malformed event is skipped; the next one is independent of it.
      }
    });
    stream.addEventListener('error', () => {
      if (stream.readyState === EventSource.CLOSED) {
        // The browser gives up on some answers (e.g. a 503): open a new stream after a pause.
        this.setLive('offline');
        this.stream = undefined;
        window.clearTimeout(this.reopenTimer);
        this.reopenTimer = window.setTimeout(() => this.openStream(), REOPEN_MS);
      } else {
        this.setLive('connecting');
      }
    });
  }

  private setLive(state: 'connecting' | 'live' | 'offline'): void {
    this.el.live.dataset['state'] = state;
    this.el.live.textContent = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting\u2026' : 'Offline';
    this.el.live.title = state === 'live' ? 'New analyses from anyone appear at the top as they are stored' : 'Live updates are paused; they resume when the server can be reached';
  }
}
