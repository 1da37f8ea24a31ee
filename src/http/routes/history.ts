// GET /history (bounded pages, newest first, cursor + Link), one row, deletion. The live stream: history-stream.ts.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Problem } from '../errors.js';
import { historyRowSchema, problems } from '../schemas.js';

export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 1000;

interface ListQuery {
  limit: number;
  before?: number;
}

/** Runs a store call; a store failure becomes 503 store-unavailable (never a 500). */
async function fromStore<T>(log: FastifyBaseLogger, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof Problem) throw err;
    log.warn({ err }, 'history store call failed');
    throw new Problem('store-unavailable', 'The history store does not answer; retry later');
  }
}

function nextLink(limit: number, lastId: number): string {
  return `</history?limit=${limit}&before=${lastId}>; rel="next"`;
}

export function historyRoutes(app: FastifyInstance): void {
  listRoute(app);
  deleteAllRoute(app);
  getRowRoute(app);
  deleteRowRoute(app);
}

const rowParams = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } } };

function noSuchRow(id: number): Problem {
  return new Problem('not-found', `No history row with id ${id}`);
}

function listRoute(app: FastifyInstance): void {
  const { store } = app.ctx;
  app.get<{ Querystring: ListQuery }>(
    '/history',
    {
      schema: {
        summary: 'The history, newest first, one page at a time',
        description: 'While older rows exist the answer has a `Link: <…>; rel="next"` header for the next page.',
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: HISTORY_MAX_LIMIT, default: HISTORY_DEFAULT_LIMIT },
            before: { type: 'integer', minimum: 1, description: 'Cursor: only rows with a smaller id' },
          },
        },
        response: { 200: { type: 'array', items: historyRowSchema }, ...problems(400) },
      },
    },
    async (request, reply) => {
      const { limit, before } = request.query;
      reply.header('cache-control', 'no-store');
      if (before === undefined) {
        // The newest page is kept serialized by the store and is always current (see the store).
        const page = await fromStore(request.log, () => store.newestPageJson(limit));
        if (page.more && page.lastId !== undefined) reply.header('link', nextLink(limit, page.lastId));
        return reply.type('application/json; charset=utf-8').send(page.json);
      }
      const page = await fromStore(request.log, () => store.list({ limit, before }));
      const last = page.rows.at(-1);
      if (page.more && last) reply.header('link', nextLink(limit, last.id));
      return page.rows;
    },
  );
}

function deleteAllRoute(app: FastifyInstance): void {
  const { store } = app.ctx;
  app.delete(
    '/history',
    {
      schema: {
        summary: 'Delete the whole history (needs the admin token)',
        security: [{ bearer: [] }],
        response: { 200: { type: 'object', properties: { deleted: { type: 'integer' } } }, ...problems(401, 403) },
      },
    },
    async (request) => {
      app.ctx.requireAdmin(request);
      const deleted = await fromStore(request.log, () => store.deleteAll());
      request.log.warn({ deleted }, 'history deleted');
      return { deleted };
    },
  );
}

function getRowRoute(app: FastifyInstance): void {
  const { store } = app.ctx;
  app.get<{ Params: { id: number } }>(
    '/history/:id',
    {
      schema: {
        summary: 'One row of the history',
        params: rowParams,
        response: { 200: historyRowSchema, ...problems(404) },
      },
    },
    async (request) => {
      const row = await fromStore(request.log, () => store.get(request.params.id));
      if (row === undefined) throw noSuchRow(request.params.id);
      return row;
    },
  );
}

function deleteRowRoute(app: FastifyInstance): void {
  const { store } = app.ctx;
  app.delete<{ Params: { id: number } }>(
    '/history/:id',
    {
      schema: {
        summary: 'Delete one row (needs the admin token)',
        security: [{ bearer: [] }],
        params: rowParams,
        response: { 204: { type: 'null' }, ...problems(401, 403, 404) },
      },
    },
    async (request, reply) => {
      app.ctx.requireAdmin(request);
      if (!(await fromStore(request.log, () => store.delete(request.params.id)))) throw noSuchRow(request.params.id);
      request.log.warn({ id: request.params.id }, 'history row deleted');
      return reply.code(204).send();
    },
  );
}
