// POST /analyze and POST /analyze/batch: score with the chosen engine, store, answer after the commit.
import type { FastifyInstance } from 'fastify';
import { score, scoreExplained, scoreSentences, type EngineName, type Explanation, type Score, type SentenceScore } from '../../engine/engines.js';
import type { HistoryRow, NewRow } from '../../store/history-store.js';
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

async function commit(app: FastifyInstance, rows: NewRow[]): Promise<HistoryRow[]> {
  try {
    return await app.ctx.store.insert(rows);
  } catch (err) {
    app.log.error({ err }, 'history write failed');
    // The commit's outcome is unknown to us (a database that stalls may still commit it later).
    throw new Problem('store-unavailable', 'The analysis may not have been stored; retry later');
  }
}

function analyzeOne(text: string, engine: EngineName, explain: boolean, sentences: boolean): { out: AnalysisOut; row: NewRow } {
  const out: AnalysisOut = explain ? scoreExplained(text, engine) : score(text, engine);
  if (sentences) out.sentences = scoreSentences(text, engine);
  return { out, row: { text, sentiment: out.sentiment, subjectivity: out.subjectivity, engine } };
}

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
      response: { 200: analysisSchema, ...problems(400, 413, 415, 422, 503) },
    },
  }, async (request) => {
    const { text, store = true, explain = false, sentences = false, engine = config.defaultEngine } = request.body;
    checkText(text, config.maxTextChars);
    const { out, row } = analyzeOne(text, engine, explain, sentences);
    if (store) {
      const [saved] = await commit(app, [row]);
      out.id = saved!.id;
      out.createdAt = saved!.createdAt;
    }
    metrics.recordAnalyses(1, store, engine);
    return out;
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
      response: { 200: { type: 'array', items: analysisSchema }, ...problems(400, 413, 415, 422, 503) },
    },
  }, async (request) => {
    const { texts, store = true, explain = false, sentences = false, engine = config.defaultEngine } = request.body;
    if (texts.length > config.batchMax) {
      throw new Problem('batch-too-large', `The batch has ${texts.length} texts; the limit is ${config.batchMax}`, { limit: config.batchMax });
    }
    texts.forEach((t, i) => checkText(t, config.maxTextChars, `texts[${i}]: `));
    const scored = texts.map((t) => analyzeOne(t, engine, explain, sentences));
    if (store && scored.length > 0) {
      const saved = await commit(app, scored.map((s) => s.row));
      saved.forEach((row, i) => {
        scored[i]!.out.id = row.id;
        scored[i]!.out.createdAt = row.createdAt;
      });
    }
    metrics.recordAnalyses(texts.length, store, engine);
    return scored.map((s) => s.out);
  });
  app.ctx.methodNotAllowed('/analyze/batch', ['POST']);
}
