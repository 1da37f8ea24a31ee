// POST /analyze and POST /analyze/batch: score with the chosen engine, store, answer after the commit.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { score, scoreExplained, scoreSentences, type EngineName, type Explanation, type Score, type SentenceScore } from '../../engine/engines.js';
import { IDEMPOTENCY_TTL_MS, type HistoryRow, type IdempotencyKey, type NewRow } from '../../store/history-store.js';
import { Problem } from '../errors.js';
import { analysisSchema, engineSchema, problems } from '../schemas.js';

interface Options {
  store?: boolean;
  explain?: boolean;
  sentences?: boolean;
  engine?: EngineName;
}

interface AnalyzeBody extends Options {
  text: string;
}

interface BatchBody extends Options {
  texts: string[];
}

type AnalysisOut = Score & Partial<Explanation> & {
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
function fingerprint(route: string, engine: EngineName, explain: boolean, sentences: boolean, texts: readonly string[] | string): string {
  return createHash('sha256').update(JSON.stringify([route, engine, explain, sentences, texts])).digest('base64url');
}

/**
 * Stores the scored rows and fills in their ids. With an Idempotency-Key, a key already used with
 * the same request stores nothing and gives the first answer's ids (the scores are the same: each
 * engine is deterministic), marked `Idempotent-Replayed: true`.
 */
async function commit(app: FastifyInstance, reply: FastifyReply, scored: { out: AnalysisOut; row: NewRow }[], key?: IdempotencyKey): Promise<boolean> {
  let replayed = false;
  try {
    if (key === undefined) {
      const saved = await app.ctx.store.insert(scored.map((s) => s.row));
      saved.forEach((row, i) => {
        scored[i]!.out.id = row.id;
        scored[i]!.out.createdAt = row.createdAt;
      });
    } else {
      const result = await app.ctx.store.insertOnce(key, scored.map((s) => s.row));
      if (result.outcome === 'mismatch') {
        throw new Problem('idempotency-key-reused', 'This Idempotency-Key was first sent with another request (route, texts or options); use a new key for a new request');
      }
      if (result.outcome === 'stored') {
        result.rows.forEach((row, i) => {
          scored[i]!.out.id = row.id;
          scored[i]!.out.createdAt = row.createdAt;
        });
      } else {
        replayed = true;
        result.ids.forEach((id, i) => {
          scored[i]!.out.id = id;
          scored[i]!.out.createdAt = result.createdAt;
        });
        reply.header('idempotent-replayed', 'true');
      }
    }
  } catch (err) {
    if (err instanceof Problem) throw err;
    app.log.error({ err }, 'history write failed');
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

function requestKey(request: FastifyRequest, route: string, engine: EngineName, explain: boolean, sentences: boolean, texts: readonly string[] | string): IdempotencyKey | undefined {
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

function options(defaultEngine: EngineName) {
  return {
    store: { type: 'boolean', default: true, description: 'false: analyse without storing (no id in the answer)' },
    explain: { type: 'boolean', default: false, description: "true: add the engine's reasons (assessments, with each word's offset and length)" },
    sentences: { type: 'boolean', default: false, description: 'true: add each sentence scored on its own, with its offset and length' },
    engine: { ...engineSchema, default: defaultEngine, description: `${engineSchema.description}. Default on this server: ${defaultEngine}` },
  } as const;
}

export function analyzeRoutes(app: FastifyInstance): void {
  const { config, metrics } = app.ctx;

  app.post<{ Body: AnalyzeBody }>('/analyze', {
    schema: {
      summary: 'Score one text (and store it in the history)',
      body: {
        type: 'object',
        required: ['text'],
        properties: { text: { type: 'string', description: `At most ${config.maxTextChars} characters` }, ...options(config.defaultEngine) },
      },
      headers: keyHeader,
      response: { 200: analysisSchema, ...problems(400, 413, 415, 422, 503) },
    },
  }, async (request, reply) => {
    const { text, store = true, explain = false, sentences = false, engine = config.defaultEngine } = request.body;
    const key = requestKey(request, '/analyze', engine, explain, sentences, text);
    checkText(text, config.maxTextChars);
    const scored = analyzeOne(text, engine, explain, sentences);
    const replayed = store && (await commit(app, reply, [scored], key));
    if (!replayed) metrics.recordAnalyses(1, store, engine);
    return scored.out;
  });
  app.ctx.methodNotAllowed('/analyze', ['POST']);

  app.post<{ Body: BatchBody }>('/analyze/batch', {
    schema: {
      summary: `Score up to ${config.batchMax} texts in one request; answers an array in the same order`,
      body: {
        type: 'object',
        required: ['texts'],
        properties: { texts: { type: 'array', items: { type: 'string' } }, ...options(config.defaultEngine) },
      },
      headers: keyHeader,
      response: { 200: { type: 'array', items: analysisSchema }, ...problems(400, 413, 415, 422, 503) },
    },
  }, async (request, reply) => {
    const { texts, store = true, explain = false, sentences = false, engine = config.defaultEngine } = request.body;
    const key = requestKey(request, '/analyze/batch', engine, explain, sentences, texts);
    if (texts.length > config.batchMax) {
      throw new Problem('batch-too-large', `The batch has ${texts.length} texts; the limit is ${config.batchMax}`, { limit: config.batchMax });
    }
    texts.forEach((t, i) => checkText(t, config.maxTextChars, `texts[${i}]: `));
    const scored = texts.map((t) => analyzeOne(t, engine, explain, sentences));
    // An empty batch stores nothing, but a key sent with it is still remembered (and checked).
    const replayed = store && (scored.length > 0 || key !== undefined) && (await commit(app, reply, scored, key));
    if (!replayed) metrics.recordAnalyses(texts.length, store, engine);
    return scored.map((s) => s.out);
  });
  app.ctx.methodNotAllowed('/analyze/batch', ['POST']);
}
