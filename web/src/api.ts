// The HTTP API as the page uses it: relative URLs only (the page is served by the API itself),
// errors turned into ApiError with the server's problem+json `detail` when it sent one.
// The shapes mirror src/http/schemas.ts.

export type Label = 'positive' | 'negative' | 'neutral';

export const ENGINES = ['textblob', 'vader', 'blend'] as const;
export type EngineName = (typeof ENGINES)[number];

export function isEngineName(name: unknown): name is EngineName {
  return typeof name === 'string' && (ENGINES as readonly string[]).includes(name);
}

/** [offset, length] of a word in the analysed text, in UTF-16 code units. */
export type Span = [offset: number, length: number];

/** Engine textblob: TextBlob's assessment plus one span per word. */
export type Assessment = [words: string[], polarity: number, subjectivity: number, label: null | 'mood' | 'irony' | 'profanity', spans: Span[]];

/** Engines vader and blend: a word (or emoji) carrying valence after VADER's rules (about −4…+4). */
export interface WordValence {
  word: string;
  offset: number;
  length: number;
  valence: number;
}

/** Engine blend: one model feature's share of the score. */
export interface Contribution {
  feature: string;
  value: number;
  contribution: number;
}

export interface VaderScores {
  compound: number;
  pos: number;
  neu: number;
  neg: number;
}

export interface SentenceScore {
  offset: number;
  length: number;
  sentiment: number;
  subjectivity: number;
  label: Label;
  engine: EngineName;
}

export interface Analysis {
  sentiment: number;
  subjectivity: number;
  /** By the engine's own thresholds: always shown as sent, never recomputed here. */
  label: Label;
  engine: EngineName;
  id?: number;
  createdAt?: string;
  vader?: VaderScores;
  /** textblob: Assessment[]; vader and blend: WordValence[]. */
  assessments?: (Assessment | WordValence)[];
  contributions?: Contribution[];
  sentences?: SentenceScore[];
}

export interface HistoryRow {
  id: number;
  text: string;
  sentiment: number;
  subjectivity: number;
  label: Label;
  /** Rows stored before engines could be chosen are 'textblob'. */
  engine: EngineName;
  createdAt: string;
}

export interface HistoryPage {
  rows: HistoryRow[];
  /** URL of the next (older) page from the Link header, or undefined on the last page. */
  next: string | undefined;
}

interface Problem {
  title?: string;
  detail?: string;
  status?: number;
  code?: string;
  limit?: number;
}

export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    readonly problem: Problem = {},
  ) {
    super(message);
  }
}

async function request(url: string, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: { accept: 'application/json', ...init?.headers } });
  } catch {
    throw new ApiError('Could not reach the server. Check your connection and try again.', 0);
  }
  if (res.ok) return res;
  let problem: Problem = {};
  try {
    problem = (await res.json()) as Problem;
  } catch {
    // Not a problem document (e.g. a proxy's HTML error page): fall back to the status line.
  }
  const message = problem.detail ?? problem.title ?? `The server answered ${res.status} ${res.statusText}`.trim();
  throw new ApiError(message, res.status, problem);
}

export async function analyze(text: string, engine: EngineName): Promise<Analysis> {
  const res = await request('analyze', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text, engine, explain: true, sentences: true }),
  });
  return (await res.json()) as Analysis;
}

/**
 * `Link: </history?limit=20&before=42>; rel="next"` → "history?limit=20&before=42". Only the
 * query is kept, made relative to the page, so the UI also works behind a proxy under a path prefix.
 */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    const rel = m && /\brel\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(m[2]!);
    if (m && rel && (rel[1] ?? rel[2] ?? '').toLowerCase().split(/\s+/).includes('next')) {
      return 'history' + new URL(m[1]!, 'http://x/').search;
    }
  }
  return undefined;
}

export async function historyPage(url: string): Promise<HistoryPage> {
  const res = await request(url);
  return { rows: (await res.json()) as HistoryRow[], next: nextLink(res.headers.get('link')) };
}
