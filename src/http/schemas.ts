// JSON schemas of the API: they drive validation, serialization and /openapi.json.

export const assessmentSchema = {
  type: 'array',
  description: 'One assessed chunk: [words, polarity, subjectivity, label] (label: null, "mood" for emoticons, "irony" for "(!)")',
  items: {},
  minItems: 4,
  maxItems: 4,
} as const;

export const analysisSchema = {
  type: 'object',
  required: ['sentiment', 'subjectivity', 'label'],
  properties: {
    sentiment: { type: 'number', minimum: -1, maximum: 1, description: "TextBlob's polarity, exactly" },
    subjectivity: { type: 'number', minimum: 0, maximum: 1 },
    label: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    id: { type: 'integer', description: 'History id; absent when store=false' },
    createdAt: { type: 'string', format: 'date-time' },
    assessments: { type: 'array', items: assessmentSchema, description: 'Only with explain=true' },
  },
} as const;

export const historyRowSchema = {
  type: 'object',
  required: ['id', 'text', 'sentiment', 'subjectivity', 'label', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    text: { type: 'string' },
    sentiment: { type: 'number' },
    subjectivity: { type: 'number' },
    label: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
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
