// JSON schemas of the API: they drive validation, serialization and /openapi.json.
import { ENGINE_NAMES } from '../engine/engines.js';

export const engineSchema = {
  type: 'string',
  enum: ENGINE_NAMES,
  description:
    "textblob: TextBlob 0.18's polarity, exactly (the original app's score); vader: vaderSentiment's compound, exactly; " +
    'blend: a small model over both, trained on human ratings (the most accurate; see the README)',
} as const;

/** TextBlob: one assessed chunk, as TextBlob's sentiment_assessments, plus where its words are. */
export const assessmentSchema = {
  type: 'array',
  description:
    'engine textblob: [words, polarity, subjectivity, label, spans] — TextBlob\'s assessment (label: null, "mood" for emoticons, ' +
    '"irony" for "(!)", "profanity") and one [offset, length] per word',
  items: {},
  minItems: 5,
  maxItems: 5,
} as const;

/** VADER (and blend): a word that carries valence after VADER's rules. */
export const wordValenceSchema = {
  type: 'object',
  description: 'engines vader and blend: a word (or emoji) with its valence after VADER\'s rules (booster, caps, negation, "but"…)',
  required: ['word', 'offset', 'length', 'valence'],
  properties: {
    word: { type: 'string' },
    offset: { type: 'integer', description: 'UTF-16 code units into the analysed text' },
    length: { type: 'integer' },
    valence: { type: 'number' },
  },
} as const;

const vaderScoresSchema = {
  type: 'object',
  description: "engine vader: vaderSentiment's four numbers, exactly (as its polarity_scores rounds them)",
  required: ['compound', 'pos', 'neu', 'neg'],
  properties: { compound: { type: 'number' }, pos: { type: 'number' }, neu: { type: 'number' }, neg: { type: 'number' } },
} as const;

const scoreProperties = {
  sentiment: { type: 'number', minimum: -1, maximum: 1, description: "The engine's score: TextBlob's polarity (textblob), VADER's compound (vader), the model's score (blend)" },
  subjectivity: { type: 'number', minimum: 0, maximum: 1, description: "TextBlob's subjectivity, whatever the engine" },
  label: { type: 'string', enum: ['positive', 'negative', 'neutral'], description: "By the engine's thresholds: textblob the sign; vader ±0.05; blend see the README" },
  engine: engineSchema,
  vader: vaderScoresSchema,
} as const;

export const sentenceSchema = {
  type: 'object',
  required: ['offset', 'length', 'sentiment', 'subjectivity', 'label', 'engine'],
  properties: {
    offset: { type: 'integer', description: 'UTF-16 code units into the analysed text' },
    length: { type: 'integer' },
    ...scoreProperties,
  },
} as const;

export const analysisSchema = {
  type: 'object',
  required: ['sentiment', 'subjectivity', 'label', 'engine'],
  properties: {
    ...scoreProperties,
    id: { type: 'integer', description: 'History id; absent when store=false' },
    createdAt: { type: 'string', format: 'date-time' },
    assessments: {
      type: 'array',
      items: { anyOf: [assessmentSchema, wordValenceSchema] },
      description: "Only with explain=true: the engine's own reasons, each with where its words are in the text",
    },
    contributions: {
      type: 'array',
      description: "Only with explain=true and engine blend: each feature's share of the score, largest first",
      items: {
        type: 'object',
        required: ['feature', 'value', 'contribution'],
        properties: { feature: { type: 'string' }, value: { type: 'number' }, contribution: { type: 'number' } },
      },
    },
    sentences: { type: 'array', items: sentenceSchema, description: 'Only with sentences=true: each sentence scored on its own' },
  },
} as const;

/** A per-item batch result: the caller's document id, and the history row's as historyId. */
export const documentResultSchema = {
  type: 'object',
  required: ['id', ...analysisSchema.required],
  properties: {
    id: { type: 'string', description: "The document's id, as sent" },
    historyId: { type: 'integer', description: 'History id; absent when store=false' },
    ...scoreProperties,
    createdAt: analysisSchema.properties.createdAt,
    assessments: analysisSchema.properties.assessments,
    contributions: analysisSchema.properties.contributions,
    sentences: analysisSchema.properties.sentences,
  },
} as const;

/** A document of a per-item batch that could not be analysed. */
export const itemErrorSchema = {
  type: 'object',
  required: ['id', 'code', 'title', 'detail'],
  properties: {
    id: { type: 'string', description: "The document's id, as sent" },
    code: { type: 'string', description: 'A problem code of the catalogue (/problems/<code>)' },
    title: { type: 'string' },
    detail: { type: 'string' },
  },
} as const;

export const historyRowSchema = {
  type: 'object',
  required: ['id', 'text', 'sentiment', 'subjectivity', 'label', 'engine', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    text: { type: 'string' },
    sentiment: { type: 'number' },
    subjectivity: { type: 'number' },
    label: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    engine: engineSchema,
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details (application/problem+json)',
  additionalProperties: true,
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string' },
  },
} as const;

/** Response schemas for the errors a route may answer (documentation only). */
export function problems(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(statuses.map((s) => [s, { ...problemSchema, description: 'Problem details' }]));
}
