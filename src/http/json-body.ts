// Request bodies: JSON only, decoded strictly, and validated without type coercion.
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { Problem } from './errors.js';

/** The only body parser: invalid UTF-8 is a 400, never silently turned into U+FFFD. */
export function jsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body: Buffer, done) => {
    if (body.length === 0) return done(new Problem('malformed-json', 'The body is empty'), undefined);
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return done(new Problem('malformed-json', 'The body is not valid UTF-8'), undefined);
    }
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(new Problem('malformed-json', `The body could not be parsed as JSON: ${(e as Error).message}`), undefined);
    }
  });
}

/** Body validators never coerce (`{"text": 5}` is an error, not "5"); query strings and params do. */
export function validatorCompiler() {
  const strict = new Ajv({ coerceTypes: false, useDefaults: true, allErrors: false, strict: false });
  const coercing = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: false });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) => (httpPart === 'body' ? strict : coercing).compile(schema);
}
