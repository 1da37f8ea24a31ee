// POST /analyze and POST /analyze/batch: score with the engine, store, answer after the commit.
import type { FastifyInstance } from 'fastify';
import { analyze, type Assessment } from '../../engine/index.js';
import { labelOf, type HistoryRow, type Label, type NewRow } from '../../store/history-store.js';
import { Problem } from '../errors.js';
import { analysisSchema, problems } from '../schemas.js';

interface AnalyzeBody {
  text: string;
  store?: boolean;
  explain?: boolean;
}

interface BatchBody {
  texts: string[];
  store?: boolean;
  explain?: boolean;
}

interface AnalysisOut {
  sentiment: number;
  subjectivity: number;
  label: Label;
  id?: number;
  createdAt?: string;
  assessments?: Assessment[];
}

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

function score(text: string, explain: boolean): { out: AnalysisOut; row: NewRow } {
  const r = analyze(text);
  const out: AnalysisOut = { sentiment: r.polarity, subjectivity: r.subjectivity, label: labelOf(r.polarity) };
  if (explain) out.assessments = r.assessments;
  return { out, row: { text, sentiment: r.polarity, subjectivity: r.subjectivity } };
}

const options = {
  store: { type: 'boolean', default: true, description: 'false: analyse without storing (no id in the answer)' },
  explain: { type: 'boolean', default: false, description: 'true: add the assessments (which words moved the score)' },
} as const;

export function analyzeRoutes(app: FastifyInstance): void {
  const { config, metrics } = app.ctx;

  app.post<{ Body: AnalyzeBody }>('/analyze', {
    schema: {
      summary: 'Score one text (and store it in the history)',
      body: {
        type: 'object',
        required: ['text'],
        properties: { text: { type: 'string', description: `At most ${config.maxTextChars} characters` }, ...options },
      },
      response: { 200: analysisSchema, ...problems(400, 413, 415, 422, 503) },
    },
  }, async (request) => {
    const { text, store = true, explain = false } = request.body;
    checkText(text, config.maxTextChars);
    const { out, row } = score(text, explain);
    if (store) {
      const [saved] = await commit(app, [row]);
      out.id = saved!.id;
      out.createdAt = saved!.createdAt;
    }
    metrics.recordAnalyses(1, store);
    return out;
  });
  app.ctx.methodNotAllowed('/analyze', ['POST']);

  app.post<{ Body: BatchBody }>('/analyze/batch', {
    schema: {
      summary: `Score up to ${config.batchMax} texts in one request; answers an array in the same order`,
      body: {
        type: 'object',
        required: ['texts'],
        properties: { texts: { type: 'array', items: { type: 'string' } }, ...options },
      },
      response: { 200: { type: 'array', items: analysisSchema }, ...problems(400, 413, 415, 422, 503) },
    },
  }, async (request) => {
    const { texts, store = true, explain = false } = request.body;
    if (texts.length > config.batchMax) {
      throw new Problem('batch-too-large', `The batch has ${texts.length} texts; the limit is ${config.batchMax}`, { limit: config.batchMax });
    }
    texts.forEach((t, i) => checkText(t, config.maxTextChars, `texts[${i}]: `));
    const scored = texts.map((t) => score(t, explain));
    if (store && scored.length > 0) {
      const saved = await commit(app, scored.map((s) => s.row));
      saved.forEach((row, i) => {
        scored[i]!.out.id = row.id;
        scored[i]!.out.createdAt = row.createdAt;
      });
    }
    metrics.recordAnalyses(texts.length, store);
    return scored.map((s) => s.out);
  });
  app.ctx.methodNotAllowed('/analyze/batch', ['POST']);
}
