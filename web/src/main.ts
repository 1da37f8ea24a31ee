// Entry point: wires the analyze form, the result, and the history panel together.
import { analyze, ApiError, isEngineName, type EngineName, type HistoryRow } from './api.js';
import { byId } from './dom.js';
import { countChars } from './format.js';
import { HistoryView } from './history.js';
import { announcement, renderResult } from './result.js';

const DRAFT_KEY = 'polarity.draft';
const ENGINE_KEY = 'polarity.engine';
/** The server's default limit (MAX_TEXT_CHARS); a 422 text-too-long answer tells us the real one. */
let maxChars = 20_000;

const form = byId<HTMLFormElement>('analyze-form');
const textarea = byId<HTMLTextAreaElement>('text');
const button = byId<HTMLButtonElement>('analyze-button');
const counter = byId<HTMLElement>('text-count');
const errorBox = byId<HTMLElement>('error');
const resultBox = byId<HTMLElement>('result');
const announcer = byId<HTMLElement>('announce');
const shortcut = byId<HTMLElement>('shortcut-key');
const engineInputs = Array.from(form.querySelectorAll<HTMLInputElement>('input[name="engine"]'));

const history = new HistoryView({
  list: byId<HTMLOListElement>('history-list'),
  status: byId('history-status'),
  older: byId<HTMLButtonElement>('older'),
  live: byId('live'),
});

if (/Mac|iPhone|iPad/.test(navigator.platform)) shortcut.textContent = '\u2318';

// The draft survives reloads and crashes; storage may be unavailable (private mode): then it is
// simply not kept, and nothing else changes.
function saveDraft(): void {
  try {
    if (textarea.value === '') localStorage.removeItem(DRAFT_KEY);
    else localStorage.setItem(DRAFT_KEY, textarea.value);
  } catch {
    /* storage unavailable or full */
  }
}

function restoreDraft(): void {
  try {
    const draft = localStorage.getItem(DRAFT_KEY);
    if (draft !== null && textarea.value === '') textarea.value = draft;
  } catch {
    /* storage unavailable */
  }
}

/** The engine picked in the form; TextBlob (the server's default) if none is. */
function chosenEngine(): EngineName {
  const value = engineInputs.find((i) => i.checked)?.value;
  return isEngineName(value) ? value : 'textblob';
}

// The engine choice is kept like the draft; a stored name this page does not offer is ignored.
function saveEngine(): void {
  try {
    localStorage.setItem(ENGINE_KEY, chosenEngine());
  } catch {
    /* storage unavailable or full */
  }
}

function restoreEngine(): void {
  try {
    const stored = localStorage.getItem(ENGINE_KEY);
    const input = engineInputs.find((i) => i.value === stored);
    if (input) input.checked = true;
  } catch {
    /* storage unavailable */
  }
}

function updateCounter(): void {
  const n = countChars(textarea.value);
  const over = n > maxChars;
  counter.textContent = over
    ? `${n.toLocaleString()} / ${maxChars.toLocaleString()} characters \u2014 ${(n - maxChars).toLocaleString()} over the limit`
    : `${n.toLocaleString()} / ${maxChars.toLocaleString()} characters`;
  counter.classList.toggle('over', over);
}

function showError(message: string): void {
  errorBox.replaceChildren();
  errorBox.append(message);
  errorBox.hidden = false;
}

let busy = false;

async function submit(): Promise<void> {
  if (busy) return;
  const text = textarea.value;
  if (text.trim() === '') {
    showError('Type or paste a text to analyze first.');
    textarea.focus();
    return;
  }
  busy = true;
  form.setAttribute('aria-busy', 'true');
  button.textContent = 'Analyzing\u2026';
  errorBox.hidden = true;
  try {
    const result = await analyze(text, chosenEngine());
    renderResult(resultBox, text, result);
    // The same sentence twice would not be read again: vary it invisibly.
    const said = announcement(result);
    announcer.textContent = announcer.textContent === said ? `${said}\u00A0` : said;
    if (result.id !== undefined && result.createdAt !== undefined) {
      const row: HistoryRow = {
        id: result.id,
        text,
        sentiment: result.sentiment,
        subjectivity: result.subjectivity,
        label: result.label,
        engine: result.engine,
        createdAt: result.createdAt,
      };
      history.add(row, true);
    }
  } catch (err) {
    if (err instanceof ApiError && typeof err.problem.limit === 'number' && err.problem.code === 'text-too-long') {
      maxChars = err.problem.limit;
      updateCounter();
    }
    // The text stays in the textarea (and the draft) whatever happened.
    showError(err instanceof ApiError ? err.message : 'Something went wrong. Your text is kept; try again.');
    announcer.textContent = '';
  } finally {
    busy = false;
    form.removeAttribute('aria-busy');
    button.textContent = 'Analyze';
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void submit();
});
// Ctrl+Enter (Cmd+Enter on a Mac) analyses from anywhere on the page.
document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.isComposing) {
    event.preventDefault();
    void submit();
  }
});
textarea.addEventListener('input', () => {
  updateCounter();
  saveDraft();
});

for (const input of engineInputs) input.addEventListener('change', saveEngine);

restoreDraft();
restoreEngine();
updateCounter();
void history.loadFirst();
