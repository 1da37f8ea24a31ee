// Headers every answer carries, the request id, and the admin-token check.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Problem } from './errors.js';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
});

/**
 * A caller's `X-Request-Id` is kept when it is a sane token: short, and only characters that are
 * safe in a log line, a header and a JSON string without escaping. Anything else gets a new id.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/** The request's id: the caller's `X-Request-Id` if sane (a proxy's or a client's), else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** A check that throws unless the request carries the admin token (deletion is off without one). */
export function adminCheck(adminToken: string | undefined): (request: FastifyRequest) => void {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return (request) => {
    if (expected === undefined) throw new Problem('deletion-disabled', 'Start the server with ADMIN_TOKEN (or --admin-token) to allow deletion');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    // Compare digests of equal length in constant time; the token itself is never logged.
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      throw new Problem('unauthorized', 'Send Authorization: Bearer <admin token>', {}, { 'www-authenticate': 'Bearer realm="polarity"' });
    }
  };
}
