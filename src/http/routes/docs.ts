// The API reference (/docs) and one page per problem code (/problems/<code>): the `type` of every
// problem document is such a URL, so it answers. Both are rendered from what the app already
// has — the OpenAPI document and the problem catalogue — once, on first request.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DOCS_CSS, DOCS_CSS_PATH, renderDocsPage, renderProblemPage, type OpenApiDocument } from '../docs-page.js';
import { PROBLEMS, PROBLEM_TYPE_BASE, Problem, type ProblemCode } from '../errors.js';
import { problems } from '../schemas.js';

interface Page {
  body: string;
  etag: string;
}

function page(body: string): Page {
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

function send(request: FastifyRequest, reply: FastifyReply, p: Page, type: string): FastifyReply {
  reply.header('etag', p.etag).header('cache-control', 'no-cache').header('vary', 'Accept');
  const inm = request.headers['if-none-match'];
  if (inm?.split(',').some((t) => t.trim() === p.etag)) return reply.code(304).send();
  return reply.type(type).send(p.body);
}

/** True when the client asks for JSON rather than HTML (an API client following a problem's `type`). */
export function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const types = accept.split(',').map((part) => {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return { type: type.trim(), q: q === undefined ? 1 : Number(q) };
  });
  const best = (pred: (t: string) => boolean) => Math.max(0, ...types.filter((t) => pred(t.type)).map((t) => t.q));
  const json = best((t) => t === 'application/json' || t === 'application/problem+json');
  const html = best((t) => t === 'text/html');
  return json > 0 && json > html;
}

export function docsRoutes(app: FastifyInstance): void {
  let docs: Page | undefined;
  const title = () => (app.swagger() as unknown as OpenApiDocument).info.title;

  app.get(
    '/docs',
    {
      schema: { summary: 'This API reference, as a web page (rendered from /openapi.json and the problem catalogue)' },
    },
    async (request, reply) => {
      docs ??= page(renderDocsPage(app.swagger() as unknown as OpenApiDocument, PROBLEMS));
      return send(request, reply, docs, 'text/html; charset=utf-8');
    },
  );

  const css = page(DOCS_CSS);
  app.get(DOCS_CSS_PATH, { schema: { hide: true } }, async (request, reply) => send(request, reply, css, 'text/css; charset=utf-8'));

  const problemPages = new Map<string, Page>();
  app.get<{ Params: { code: string } }>(
    `${PROBLEM_TYPE_BASE}:code`,
    {
      schema: {
        summary: 'What a problem code means: a short page, or JSON when the Accept header asks for it',
        params: { type: 'object', required: ['code'], properties: { code: { type: 'string', pattern: '^[a-z][a-z-]*$', description: 'A problem code, e.g. text-required' } } },
        response: {
          200: {
            description: 'The problem type (HTML by default)',
            type: 'object',
            required: ['type', 'code', 'status', 'title', 'description'],
            properties: {
              type: { type: 'string' },
              code: { type: 'string' },
              status: { type: 'integer' },
              title: { type: 'string' },
              description: { type: 'string' },
              docs: { type: 'string', description: 'Where the reference lists it' },
            },
          },
          ...problems(404),
        },
      },
    },
    async (request, reply) => {
      const { code } = request.params;
      if (!Object.hasOwn(PROBLEMS, code)) throw new Problem('not-found', `No problem code "${code}"; /docs#problems lists them`);
      const p = PROBLEMS[code as ProblemCode];
      if (wantsJson(request.headers.accept)) {
        reply.header('vary', 'Accept');
        return { type: PROBLEM_TYPE_BASE + code, code, status: p.status, title: p.title, description: p.description, docs: `/docs#problem-${code}` };
      }
      let html = problemPages.get(code);
      if (html === undefined) problemPages.set(code, (html = page(renderProblemPage(code, p, title()))));
      return send(request, reply, html, 'text/html; charset=utf-8');
    },
  );
}
