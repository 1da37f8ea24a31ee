// One catalogue of every error the API answers, as RFC 9457 problem details
// (`application/problem+json`). The README lists every code; test/http.test.ts checks it.

export interface ProblemType {
  readonly status: number;
  readonly title: string;
  /** When it is answered, for people: /problems/<code> and /docs show it (`code` spans as in Markdown). */
  readonly description: string;
}

export const PROBLEMS = {
  'malformed-json': {
    status: 400,
    title: 'The request body is not valid JSON',
    description: 'The body is not JSON, is empty, or is not valid UTF-8.',
  },
  'invalid-request': {
    status: 400,
    title: 'The request does not match the API schema',
    description: 'The body or the query string does not match the schema of the route (e.g. `limit=0`, `"store": "no"`, a body that is not an object); `detail` names the field.',
  },
  'text-required': {
    status: 400,
    title: 'The "text" field is required',
    description: 'The JSON body has no `text` field.',
  },
  'text-not-string': {
    status: 400,
    title: 'The "text" field must be a string',
    description: 'The `text` field is not a JSON string.',
  },
  'unknown-engine': {
    status: 400,
    title: 'The "engine" field names no engine of this server',
    description: '`engine` is not one of the engines this server has; the problem lists them in `engines`.',
  },
  'invalid-text': {
    status: 422,
    title: 'The text is not valid Unicode',
    description: 'The text holds a lone UTF-16 surrogate (e.g. `"\\ud800"`), which no store can keep as sent.',
  },
  'text-too-long': {
    status: 422,
    title: 'The text is longer than the configured limit',
    description: "The text is longer than the server's `--max-text-chars` (20,000 characters by default, counted in code points).",
  },
  'batch-too-large': {
    status: 422,
    title: 'The batch has more texts than the configured limit',
    description: "A batch holds more texts than the server's `--batch-max` (100 by default).",
  },
  'invalid-idempotency-key': {
    status: 400,
    title: 'The Idempotency-Key header must be 1 to 255 visible ASCII characters',
    description: 'The `Idempotency-Key` header is empty, sent more than once, longer than 255 characters, or holds characters other than visible ASCII (a UUID is a good key).',
  },
  'idempotency-key-reused': {
    status: 422,
    title: 'This Idempotency-Key was used with a different request',
    description: 'This `Idempotency-Key` was first sent with another request (route, texts or options); use a new key for a new request.',
  },
  'invalid-cursor': {
    status: 400,
    title: 'The "before" cursor must be a positive integer id',
    description: 'The `before` query parameter of `GET /history` is not a positive integer id.',
  },
  'body-too-large': {
    status: 413,
    title: 'The request body is larger than the configured limit',
    description: "The body is larger than the server's `--body-limit` (64 KiB by default); the problem gives the limit in `limit`.",
  },
  'unsupported-media-type': {
    status: 415,
    title: 'The request body must be application/json',
    description: 'The body was not sent with `Content-Type: application/json`.',
  },
  unauthorized: {
    status: 401,
    title: 'A valid admin token is required',
    description: 'A deletion without the right `Authorization: Bearer <admin token>` header.',
  },
  'deletion-disabled': {
    status: 403,
    title: 'Deletion is disabled: no admin token is configured',
    description: 'A deletion while the server has no admin token configured (`ADMIN_TOKEN`).',
  },
  'cors-origin-denied': {
    status: 403,
    title: 'This origin is not allowed',
    description: "A CORS preflight from an origin that is not in the server's `--cors-origins` allow-list.",
  },
  'rate-limited': {
    status: 429,
    title: 'Too many requests from this client; retry later',
    description: 'The client made more API requests this minute than `--rate-limit` allows, or already holds 32 live streams on this worker; `Retry-After` says when to go on.',
  },
  'not-found': {
    status: 404,
    title: 'No such resource',
    description: 'No route for this path, or no history row with this id.',
  },
  'method-not-allowed': {
    status: 405,
    title: 'This method is not allowed on this resource',
    description: 'The route exists but not with this method; the `Allow` header lists the methods it has.',
  },
  'store-unavailable': {
    status: 503,
    title: 'The history store is unavailable; retry later',
    description:
      'The history store failed, stalled or did not answer in time, or the server is shutting down. Retry after `Retry-After` seconds, on a new connection (with an `Idempotency-Key` a retried write is stored once).',
  },
  overloaded: {
    status: 503,
    title: 'The server is handling as many requests as it can; retry later',
    description: 'The worker process already handles as many requests (`--max-inflight`) or live streams as it may: shed at once rather than queued; retry after `Retry-After`.',
  },
  'internal-error': {
    status: 500,
    title: 'Internal server error',
    description: "A bug. The body says nothing more; the server's log has the details under the same `requestId`.",
  },
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

/** The problem document; `requestId` is the request's id, as in its log lines and its X-Request-Id header. */
export function problemBody(p: Problem, instance: string, requestId?: string): Record<string, unknown> {
  return {
    type: PROBLEM_TYPE_BASE + p.code,
    title: PROBLEMS[p.code].title,
    status: p.status,
    ...(p.detail === undefined ? {} : { detail: p.detail }),
    instance,
    code: p.code,
    ...(requestId === undefined ? {} : { requestId }),
    ...p.extra,
  };
}
