// Scenarios: what each simulated user does, as a small declarative JSON file — the equivalent of a
// Locust file with one HttpUser class: an on-start sequence, weighted tasks, a uniform wait range.
//
//   {
//     "name": "seed",
//     "wait": { "min": 1, "max": 5 },                        seconds, uniform (Locust's between(1, 5))
//     "headers": { "X-Api-Key": "…" },                        optional, sent with every request
//     "onStart": [ { "method": "POST", "path": "/analyze", "json": { "text": "…" } } ],
//     "tasks": [
//       { "method": "POST", "path": "/analyze", "json": { "text": "…" }, "weight": 1 },
//       { "method": "GET",  "path": "/history", "weight": 2 }
//     ]
//   }
//
// A request has `json` (sent as Python's json.dumps would, with Content-Type: application/json) or
// `body` (a string sent as is; give its Content-Type in `headers`), optional `headers`, and `name`
// (the statistics row; default: the path, as Locust names a request by its URL path).
import { readFileSync } from 'node:fs';
import { TEXT_PLACEHOLDER } from './data.js';
import { pyJsonDumps } from './python-compat.js';
import { UserError } from '../user-error.js';

export interface RequestSpec {
  method: string;
  path: string;
  name: string;
  headers: Readonly<Record<string, string>>;
  /** The body bytes' text, or null for none. */
  body: string | null;
  /**
   * The body holds {{text}}, filled with a --data text per request: 'json' escapes the text as a
   * JSON string's content (the body came from "json"), 'raw' puts it in as is. Absent: a fixed body.
   */
  template?: 'json' | 'raw';
}

export interface TaskSpec extends RequestSpec {
  weight: number;
}

export interface Scenario {
  name: string;
  /** seconds */
  wait: { min: number; max: number };
  onStart: readonly RequestSpec[];
  tasks: readonly TaskSpec[];
}

/** The text the original Locust file posted. */
export const SEED_TEXT = 'This is a test text for sentiment analysis.';

/**
 * The original project's Locust scenario: each user posts the fixed text once on start, then loops
 * over POST /analyze (weight 1) and GET /history (weight 2), waiting 1–5 s after each task.
 */
export const SEED_SCENARIO_JSON = {
  name: 'seed',
  wait: { min: 1, max: 5 },
  onStart: [{ method: 'POST', path: '/analyze', json: { text: SEED_TEXT } }],
  tasks: [
    { method: 'POST', path: '/analyze', json: { text: SEED_TEXT }, weight: 1 },
    { method: 'GET', path: '/history', weight: 2 },
  ],
} as const;

export class ScenarioError extends UserError {}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function fail(where: string, msg: string): never {
  throw new ScenarioError(`${where}: ${msg}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(where, `unknown field "${k}" (allowed: ${allowed.join(', ')})`);
}

function parseHeaders(v: unknown, where: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isObject(v)) fail(where, '"headers" must be an object of strings');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (!TOKEN.test(k)) fail(where, `header name ${JSON.stringify(k)} is not a valid HTTP token`);
    if (typeof val !== 'string' || /[\r\n\0]/.test(val)) fail(where, `header ${k} must be a string without line breaks`);
    const lower = k.toLowerCase();
    if (['host', 'content-length', 'transfer-encoding', 'connection'].includes(lower)) fail(where, `header ${k} is set by the load tester`);
    out[k] = val;
  }
  return out;
}

function parseRequest(v: unknown, where: string, shared: Record<string, string>, withWeight: boolean): TaskSpec {
  if (!isObject(v)) fail(where, 'must be an object');
  checkKeys(v, ['method', 'path', 'name', 'headers', 'json', 'body', ...(withWeight ? ['weight'] : [])], where);
  const method = v.method ?? 'GET';
  if (typeof method !== 'string' || !TOKEN.test(method)) fail(where, '"method" must be an HTTP method such as "GET"');
  const path = v.path;
  if (typeof path !== 'string' || !path.startsWith('/') || /[\s\0]/.test(path)) fail(where, '"path" must start with "/" and hold no spaces');
  const name = v.name ?? path;
  if (typeof name !== 'string' || name === '') fail(where, '"name" must be a non-empty string');
  const headers = { ...shared, ...parseHeaders(v.headers, where) };
  let body: string | null = null;
  if (v.json !== undefined && v.body !== undefined) fail(where, 'give "json" or "body", not both');
  if (v.json !== undefined) {
    body = pyJsonDumps(v.json);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  } else if (v.body !== undefined) {
    if (typeof v.body !== 'string') fail(where, '"body" must be a string (use "json" for a JSON value)');
    body = v.body;
  }
  const template = body?.includes(TEXT_PLACEHOLDER) ? (v.json !== undefined ? 'json' : 'raw') : undefined;
  let weight = 1;
  if (withWeight && v.weight !== undefined) {
    if (!Number.isInteger(v.weight) || (v.weight as number) < 0 || (v.weight as number) > 1_000_000) {
      fail(where, '"weight" must be a whole number from 0 to 1000000 (Locust weights are integers)');
    }
    weight = v.weight as number;
  }
  return { method: method.toUpperCase(), path, name, headers: Object.freeze(headers), body, weight, ...(template ? { template } : {}) };
}

/** Validates a parsed scenario document; throws ScenarioError with the offending place. */
export function parseScenario(doc: unknown, source = 'scenario'): Scenario {
  if (!isObject(doc)) fail(source, 'must be a JSON object');
  checkKeys(doc, ['name', 'wait', 'headers', 'onStart', 'tasks'], source);
  const name = doc.name ?? source;
  if (typeof name !== 'string') fail(source, '"name" must be a string');
  const wait = doc.wait ?? { min: 0, max: 0 };
  if (!isObject(wait)) fail(source, '"wait" must be {"min": seconds, "max": seconds}');
  checkKeys(wait, ['min', 'max'], `${source} wait`);
  const min = wait.min ?? 0;
  const max = wait.max ?? min;
  if (typeof min !== 'number' || typeof max !== 'number' || !(min >= 0) || !(max >= min) || max > 86_400) {
    fail(source, '"wait" needs 0 <= min <= max <= 86400 (seconds)');
  }
  const shared = parseHeaders(doc.headers, source);
  const onStartRaw = doc.onStart ?? [];
  if (!Array.isArray(onStartRaw)) fail(source, '"onStart" must be an array of requests');
  const onStart = onStartRaw.map((r, i) => {
    const { weight: _w, ...spec } = parseRequest(r, `${source} onStart[${i}]`, shared, false);
    return Object.freeze(spec);
  });
  if (!Array.isArray(doc.tasks) || doc.tasks.length === 0) fail(source, '"tasks" must be a non-empty array');
  const tasks = doc.tasks.map((t, i) => Object.freeze(parseRequest(t, `${source} tasks[${i}]`, shared, true)));
  if (!tasks.some((t) => t.weight > 0)) fail(source, 'at least one task needs a weight above 0');
  return Object.freeze({ name, wait: Object.freeze({ min, max }), onStart: Object.freeze(onStart), tasks: Object.freeze(tasks) });
}

/** The body of a templated request for one text. */
export function fillTemplate(spec: RequestSpec, text: string): string {
  const value = spec.template === 'json' ? pyJsonDumps(text).slice(1, -1) : text;
  return spec.body!.split(TEXT_PLACEHOLDER).join(value);
}

/** Whether any request of the scenario takes --data texts. */
export function usesTexts(s: Scenario): boolean {
  return [...s.onStart, ...s.tasks].some((r) => r.template !== undefined);
}

/**
 * `seed` (built in) or a path to a JSON scenario file. With `withData`, the seed scenario posts
 * {{text}} (the --data texts) instead of its fixed sentence.
 */
export function loadScenario(spec: string, withData = false): Scenario {
  if (spec === 'seed') {
    if (!withData) return parseScenario(SEED_SCENARIO_JSON, 'seed');
    const doc = JSON.parse(JSON.stringify(SEED_SCENARIO_JSON).split(JSON.stringify(SEED_TEXT)).join(JSON.stringify(TEXT_PLACEHOLDER)));
    return parseScenario(doc, 'seed');
  }
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch (err) {
    throw new ScenarioError(`cannot read scenario file ${spec}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(`${spec} is not valid JSON: ${(err as Error).message}`);
  }
  return parseScenario(doc, spec);
}
