// One catalogue of every error the API answers, as RFC 9457 problem details
// (`application/problem+json`). The README lists every code; test/errors.test.ts checks it.

export interface ProblemType {
  readonly status: number;
  readonly title: string;
}

export const PROBLEMS = {
  'malformed-json': { status: 400, title: 'The request body is not valid JSON' },
  'invalid-request': { status: 400, title: 'The request does not match the API schema' },
  'text-required': { status: 400, title: 'The "text" field is required' },
  'text-not-string': { status: 400, title: 'The "text" field must be a string' },
  'unknown-engine': { status: 400, title: 'The "engine" field names no engine of this server' },
  'invalid-text': { status: 422, title: 'The text is not valid Unicode' },
  'text-too-long': { status: 422, title: 'The text is longer than the configured limit' },
  'batch-too-large': { status: 422, title: 'The batch has more texts than the configured limit' },
  'invalid-idempotency-key': { status: 400, title: 'The Idempotency-Key header must be 1 to 255 visible ASCII characters' },
  'idempotency-key-reused': { status: 422, title: 'This Idempotency-Key was used with a different request' },
  'invalid-cursor': { status: 400, title: 'The "before" cursor must be a positive integer id' },
  'body-too-large': { status: 413, title: 'The request body is larger than the configured limit' },
  'unsupported-media-type': { status: 415, title: 'The request body must be application/json' },
  unauthorized: { status: 401, title: 'A valid admin token is required' },
  'deletion-disabled': { status: 403, title: 'Deletion is disabled: no admin token is configured' },
  'cors-origin-denied': { status: 403, title: 'This origin is not allowed' },
  'rate-limited': { status: 429, title: 'Too many requests from this client; retry later' },
  'not-found': { status: 404, title: 'No such resource' },
  'method-not-allowed': { status: 405, title: 'This method is not allowed on this resource' },
  'store-unavailable': { status: 503, title: 'The history store is unavailable; retry later' },
  overloaded: { status: 503, title: 'The server is handling as many requests as it can; retry later' },
  'internal-error': { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, ProblemType>;

export type ProblemCode = keyof typeof PROBLEMS;

/** An error that the API answers as a problem document. `detail` must never contain internals. */
export class Problem extends Error {
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? PROBLEMS[code].title);
    this.status = PROBLEMS[code].status;
  }
}

export const PROBLEM_TYPE_BASE = '/problems/';

export function problemBody(p: Problem, instance: string): Record<string, unknown> {
  return {
    type: PROBLEM_TYPE_BASE + p.code,
    title: PROBLEMS[p.code].title,
    status: p.status,
    ...(p.detail === undefined ? {} : { detail: p.detail }),
    instance,
    code: p.code,
    ...p.extra,
  };
}
