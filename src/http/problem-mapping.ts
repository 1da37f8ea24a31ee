// Every error answered as a problem document of the catalogue (errors.ts): our own Problems as
// they are, Fastify's (parsing, validation, limits) mapped onto codes, anything else a bare 500.
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { ENGINE_NAMES } from '../engine/engines.js';
import { Problem, problemBody } from './errors.js';

type ValidationError = FastifyError & {
  validation?: { keyword: string; instancePath: string; params: Record<string, unknown>; message?: string }[];
  validationContext?: string;
};

/** Maps Fastify's own errors (parsing, validation, limits) onto our catalogue. */
export function toProblem(err: ValidationError, config: Config): Problem {
  if (err instanceof Problem) return err;
  if (err.validation) return validationProblem(err.validation[0], err.validationContext ?? 'request');
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new Problem('malformed-json', err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'The body is empty' : 'The body could not be parsed as JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new Problem('body-too-large', `The body must not exceed ${config.bodyLimit} bytes`, { limit: config.bodyLimit });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new Problem('unsupported-media-type', 'Send the body with Content-Type: application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new Problem('invalid-request', 'Content-Length does not match the body');
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new Problem('invalid-request', 'The request could not be processed');
  }
  return new Problem('internal-error');
}

function validationProblem(first: NonNullable<ValidationError['validation']>[number] | undefined, where: string): Problem {
  if (where === 'body' && first) {
    if (first.keyword === 'required' && first.params['missingProperty'] === 'text') {
      return new Problem('text-required', 'Send a JSON object with a string field "text", e.g. {"text": "I love it"}');
    }
    if (first.instancePath === '/text' && first.keyword === 'type') return new Problem('text-not-string', 'Send "text" as a JSON string, e.g. {"text": "I love it"}');
    if (first.instancePath === '/engine') return new Problem('unknown-engine', `"engine" must be one of ${ENGINE_NAMES.map((e) => `"${e}"`).join(', ')}`, { engines: ENGINE_NAMES });
  }
  if (where === 'querystring' && first?.instancePath === '/before') return new Problem('invalid-cursor');
  if (where === 'params') return new Problem('not-found');
  const path = first?.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : where;
  return new Problem('invalid-request', `${where === 'body' ? 'body' : where}${first?.instancePath ? ` field "${path}"` : ''} ${first?.message ?? 'is invalid'}`);
}

/** The app's error and not-found handlers: every failure is a problem document with the request's id. */
export function problemHandlers(app: FastifyInstance, config: Config): void {
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const problem = toProblem(err, config);
    if (problem.code === 'internal-error') request.log.error({ err, url: request.url }, 'request failed');
    else request.log.debug({ code: problem.code }, 'request rejected');
    reply.code(problem.status).headers(problem.headers).type('application/problem+json');
    if (problem.code === 'store-unavailable' && !problem.headers['retry-after']) reply.header('retry-after', '2');
    return problemBody(problem, request.url.split('?')[0]!, request.id);
  });
  app.setNotFoundHandler(async (request) => {
    throw new Problem('not-found', `No route for ${request.method} ${request.url.split('?')[0]}`);
  });
}
