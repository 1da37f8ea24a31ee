// POST /analyze and POST /analyze/batch: score with the chosen engine, store, answer after the commit.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { score, scoreExplained, scoreSentences, type EngineName, type Explanation, type Score, type SentenceScore } from '../../engine/engines.js';
import { IDEMPOTENCY_TTL_MS, type IdempotencyKey, type NewRow } from '../../store/history-store.js';
import { Problem, PROBLEMS, type ProblemCode } from '../errors.js';
import { analysisSchema, documentResultSchema, engineSchema, itemErrorSchema, problems } from '../schemas.js';

interface Options {
  store?: boolean;
  explain?: boolean;
  sentences?: boolean;
  engine?: EngineName;
}

interface AnalyzeBody extends Options {
  text: string;
}

/** One document of a per-item batch; its text is checked per item (an error names the id). */
interface DocumentIn {
  id: string;
  text?: unknown;
}

interface BatchBody extends Options {
  texts?: string[];
  documents?: DocumentIn[];
}

type DocumentOut = Omit<AnalysisOut, 'id'> & { id: string; historyId?: number };

/** A document that could not be analysed: the batch goes on without it. */
interface ItemError {
  id: string;
  code: ProblemCode;
  title: string;
  detail: string;
}

type AnalysisOut = Score &
  Partial<Explanation> & {
    id?: number;
    createdAt?: string;
    sentences?: SentenceScore[];
  };

/** Rejects texts that are too long or not valid Unicode (a lone surrogate cannot be stored as sent). */
export function checkText(text: string, maxChars: number, where = ''): void {
  // UTF-16 length bounds the code-point count from above, so most texts need no counting.
  if (text.length > maxChars) {
    let codePoints = 0;
    for (const _ of text) codePoints++;
    if (codePoints > maxChars) {
      throw new Problem('text-too-long', `${where}text has ${codePoints} characters; the limit is ${maxChars}`, { limit: maxChars, length: codePoints });
    }
  }
  if (!text.isWellFormed()) {
    throw new Problem('invalid-text', `${where}text contains a lone UTF-16 surrogate, which is not a Unicode character`);
  }
}

const KEY_SYNTAX = /^[\x20-\x7e]{1,255}$/;

/**
 * The request's Idempotency-Key, if it sent one. Both spellings are taken: a bare token
 * (`Idempotency-Key: 7c1f…`, as Stripe's clients send it) and the IETF draft's structured-field
 * string (`Idempotency-Key: "7c1f…"`), which is unquoted first.
 */
export function idempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header) && header.length !== 1) throw new Problem('invalid-idempotency-key', 'Send one Idempotency-Key header, not several');
  let key = Array.isArray(header) ? header[0]! : header;
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1).replace(/\\(["\\])/g, '$1');
  if (!KEY_SYNTAX.test(key) || key.trim() === '') {
    throw new Problem('invalid-idempotency-key', 'Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good key)');
  }
  return key;
}

/** What decides the answer, hashed: the same key with another request is refused, not replayed. */
function fingerprint(route: string, engine: EngineName, explain: boolean, sentences: boolean, texts: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([route, engine, explain, sentences, texts]))
    .digest('base64url');
}

/**
 * Stores the scored rows and fills in their ids. With an Idempotency-Key, a key already used with
 * the same request stores nothing and gives the first answer's ids (the scores are the same: each
 * engine is deterministic), marked `Idempotent-Replayed: true`.
 */
async function commit(app: FastifyInstance, reply: FastifyReply, scored: { out: AnalysisOut; row: NewRow }[], key?: IdempotencyKey): Promise<boolean> {
  let replayed = false;
  try {
    const rows = scored.map((s) => s.row);
    let stored: readonly { readonly id: number; readonly createdAt: string }[];
    if (key === undefined) stored = await app.ctx.store.insert(rows);
    else {
      const result = await app.ctx.store.insertOnce(key, rows);
      if (result.outcome === 'mismatch') {
        throw new Problem('idempotency-key-reused', 'This Idempotency-Key was first sent with another request (route, texts or options); use a new key for a new request');
      }
      replayed = result.outcome === 'replayed';
      stored = result.outcome === 'stored' ? result.rows : result.ids.map((id) => ({ id, createdAt: result.createdAt }));
      if (replayed) reply.header('idempotent-replayed', 'true');
    }
    stored.forEach(({ id, createdAt }, i) => {
      scored[i]!.out.id = id;
      scored[i]!.out.createdAt = createdAt;
    });
  } catch (err) {
    if (err instanceof Problem) throw err;
    reply.log.error({ err }, 'history write failed');
    // The commit's outcome is unknown to us (a database that stalls may still commit it later).
    throw new Problem(
      'store-unavailable',
      key === undefined
        ? 'The analysis may not have been stored; retry with an Idempotency-Key to be sure it is stored once'
        : 'The analysis may not have been stored; retry with the same Idempotency-Key: it is stored once',
    );
  }
  return replayed;
}

/** Every value sent for the header: Node joins repeated headers with ", ", which would pass for one key. */
function headerValues(request: FastifyRequest, name: string): string[] | undefined {
  const raw = request.raw.rawHeaders;
  let values: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) (values ??= []).push(raw[i + 1]!);
  return values;
}

function requestKey(request: FastifyRequest, route: string, engine: EngineName, explain: boolean, sentences: boolean, texts: unknown): IdempotencyKey | undefined {
  const key = idempotencyKey(headerValues(request, 'idempotency-key'));
  return key === undefined ? undefined : { key, fingerprint: fingerprint(route, engine, explain, sentences, texts) };
}

function analyzeOne(text: string, engine: EngineName, explain: boolean, sentences: boolean): { out: AnalysisOut; row: NewRow } {
  const out: AnalysisOut = explain ? scoreExplained(text, engine) : score(text, engine);
  if (sentences) out.sentences = scoreSentences(text, engine);
  return { out, row: { text, sentiment: out.sentiment, subjectivity: out.subjectivity, engine } };
}

const keyHeader = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      description:
        `Optional; 1–255 visible ASCII characters (e.g. a UUID), bare or as a quoted string. The same key with the same request within ` +
        `${IDEMPOTENCY_TTL_MS / 3_600_000} hours stores nothing and answers the first answer again (same ids, header Idempotent-Replayed: true), ` +
        'from any worker or host; with another request it is a 422. Ignored with "store": false.',
    },
  },
} as const;

/**
 * The per-item batch: every document is checked on its own; the good ones are analysed and stored
 * in one transaction, the bad ones answered in `errors` (the status stays 200). Ids must be unique.
 */
async function analyzeDocuments(
  app: FastifyInstance,
  reply: FastifyReply,
  request: FastifyRequest,
  documents: readonly DocumentIn[],
  { store, explain, sentences, engine }: Required<Options>,
): Promise<{ results: DocumentOut[]; errors: ItemError[] }> {
  const seen = new Set<string>();
  for (const d of documents) {
    if (seen.has(d.id)) throw new Problem('invalid-request', `Document ids must be unique in a batch; "${d.id.slice(0, 64)}" appears twice`);
    seen.add(d.id);
  }
  const key = requestKey(
    request,
    '/analyze/batch',
    engine,
    explain,
    sentences,
    documents.map((d) => [d.id, d.text]),
  );
  const errors: ItemError[] = [];
  const good: { id: string; scored: { out: AnalysisOut; row: NewRow } }[] = [];
  for (const d of documents) {
    try {
      if (d.text === undefined) throw new Problem('text-required', 'This document has no "text"');
      if (typeof d.text !== 'string') throw new Problem('text-not-string', 'This document\'s "text" is not a string');
      checkText(d.text, app.ctx.config.maxTextChars);
      good.push({ id: d.id, scored: analyzeOne(d.text, engine, explain, sentences) });
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      errors.push({ id: d.id, code: err.code, title: PROBLEMS[err.code].title, detail: err.detail ?? PROBLEMS[err.code].title });
    }
  }
  const scored = good.map((g) => g.scored);
  const replayed = store && (scored.length > 0 || key !== undefined) && (await commit(app, reply, scored, key));
  if (!replayed) app.ctx.metrics.recordAnalyses(scored.length, store, engine);
  // The document's id is `id`; the history row's id becomes `historyId`.
  const results = good.map(({ id, scored: { out } }) => {
    const { id: historyId, ...rest } = out;
    const result: DocumentOut = historyId === undefined ? { id, ...rest } : { id, historyId, ...rest };
    return result;
  });
  return { results, errors };
}

function options(defaultEngine: EngineName) {
  return {
    store: { type: 'boolean', default: true, description: 'false: analyse without storing (no id in the answer)' },
    explain: { type: 'boolean', default: false, description: "true: add the engine's reasons (assessments, with each word's offset and length)" },
    sentences: { type: 'boolean', default: false, description: 'true: add each sentence scored on its own, with its offset and length' },
    engine: { ...engineSchema, default: defaultEngine, description: `${engineSchema.description}. Default on this server: ${defaultEngine}` },
  } as const;
}

/** POST /analyze/batch: `texts` (all or nothing) or `documents` (each on its own). */
function batchSchema(config: Config) {
  return {
    summary: `Score up to ${config.batchMax} texts in one request`,
    description:
      'Either `texts` (an array of strings; answers an array in the same order; one bad text rejects the whole batch) or ' +
      '`documents` (an array of `{id, text}`; answers `{results, errors}`: each document analysed on its own, the good ones stored ' +
      'in one transaction, each bad one listed in `errors` with its id and problem code).',
    body: {
      type: 'object',
      properties: {
        texts: { type: 'array', items: { type: 'string' }, examples: [['good', 'bad', 'a table']] },
        documents: {
          type: 'array',
          examples: [
            [
              { id: 'r1', text: 'Great phone' },
              { id: 'r2', text: 'Battery died in a day' },
            ],
          ],
          items: {
            type: 'object',
            required: ['id'],
            properties: {
              id: { type: 'string', minLength: 1, maxLength: 256, description: 'Your id for the document, unique in the batch; echoed in its result or error' },
              text: { description: `A string of at most ${config.maxTextChars} characters; anything else is an error for this document only` },
            },
          },
        },
        ...options(config.defaultEngine),
      },
      oneOf: [{ required: ['texts'] }, { required: ['documents'] }],
    },
    headers: keyHeader,
    response: {
      200: {
        anyOf: [
          { type: 'array', items: analysisSchema, description: 'For `texts`: one analysis per text, in order' },
          {
            type: 'object',
            description: 'For `documents`: the analysed documents in order, and the ones that could not be',
            required: ['results', 'errors'],
            properties: { results: { type: 'array', items: documentResultSchema }, errors: { type: 'array', items: itemErrorSchema } },
          },
        ],
      },
      ...problems(400, 413, 415, 422, 503),
    },
  };
}

export function analyzeRoutes(app: FastifyInstance): void {
  const { config, metrics } = app.ctx;

  app.post<{ Body: AnalyzeBody }>(
    '/analyze',
    {
      schema: {
        summary: 'Score one text (and store it in the history)',
        body: {
          type: 'object',
          required: ['text'],
          properties: { text: { type: 'string', description: `At most ${config.maxTextChars} characters`, examples: ['Not bad at all!'] }, ...options(config.defaultEngine) },
        },
        headers: keyHeader,
        response: { 200: analysisSchema, ...problems(400, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const { text, store = true, explain = false, sentences = false, engine = config.defaultEngine } = request.body;
      const key = requestKey(request, '/analyze', engine, explain, sentences, text);
      checkText(text, config.maxTextChars);
      const scored = analyzeOne(text, engine, explain, sentences);
      const replayed = store && (await commit(app, reply, [scored], key));
      if (!replayed) metrics.recordAnalyses(1, store, engine);
      return scored.out;
    },
  );

  app.post<{ Body: BatchBody }>(
    '/analyze/batch',
    {
      schema: batchSchema(config),
    },
    async (request, reply) => {
      const { texts, documents, store = true, explain = false, sentences = false, engine = config.defaultEngine } = request.body;
      const count = (texts ?? documents!).length;
      if (count > config.batchMax) {
        throw new Problem('batch-too-large', `The batch has ${count} ${texts ? 'texts' : 'documents'}; the limit is ${config.batchMax}`, { limit: config.batchMax });
      }
      if (documents !== undefined) return analyzeDocuments(app, reply, request, documents, { store, explain, sentences, engine });
      const key = requestKey(request, '/analyze/batch', engine, explain, sentences, texts);
      texts!.forEach((t, i) => checkText(t, config.maxTextChars, `texts[${i}]: `));
      const scored = texts!.map((t) => analyzeOne(t, engine, explain, sentences));
      // An empty batch stores nothing, but a key sent with it is still remembered (and checked).
      const replayed = store && (scored.length > 0 || key !== undefined) && (await commit(app, reply, scored, key));
      if (!replayed) metrics.recordAnalyses(scored.length, store, engine);
      return scored.map((s) => s.out);
    },
  );
}
