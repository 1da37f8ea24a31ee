// The API reference at /docs and the problem pages at /problems/<code>, rendered as static HTML
// from the same OpenAPI document as /openapi.json (itself made from the routes' schemas) and from
// the problem catalogue (errors.ts). No script and no inline style: the pages load one stylesheet
// from this server, so the app's strict Content-Security-Policy holds for them as for the UI.
import { PROBLEM_TYPE_BASE, type ProblemType } from './errors.js';

/** The parts of an OpenAPI 3.1 document (as @fastify/swagger makes it) that the page shows. */
export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation | unknown>>;
  components?: { schemas?: Record<string, Schema> };
}

interface Operation {
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}

export type Schema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  example?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  $ref?: string;
  additionalProperties?: boolean | Schema;
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;

export const DOCS_CSS_PATH = '/docs/docs.css';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Escapes, then turns Markdown `code spans` into <code>. */
function prose(s: string): string {
  return esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** "/history/{id}" + "get" → "get-history-id": a stable anchor. */
export function operationAnchor(method: string, path: string): string {
  return `${method}-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`.toLowerCase();
}

export const problemAnchor = (code: string): string => `problem-${code}`;

/** The operations of a document, in its order: [METHOD, path, operation]. */
export function operations(doc: OpenApiDocument): [string, string, Operation][] {
  const out: [string, string, Operation][] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const m of METHODS) {
      const op = item[m];
      if (op !== undefined && op !== null && typeof op === 'object') out.push([m.toUpperCase(), path, op as Operation]);
    }
  }
  return out;
}

function resolve(doc: OpenApiDocument, schema: Schema | undefined): Schema | undefined {
  const ref = schema?.$ref;
  if (ref === undefined) return schema;
  const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
  return name === undefined ? schema : doc.components?.schemas?.[name];
}

function typeName(s: Schema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  const t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? (s.properties ? 'object' : s.anyOf || s.oneOf ? 'one of' : 'any'));
  if (t === 'array' && s.items && (s.items.type || s.items.$ref)) return `array of ${typeName(s.items)}`;
  return s.format ? `${t} (${s.format})` : t;
}

function constraints(s: Schema): string[] {
  const c: string[] = [];
  if (s.enum) c.push(`one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (s.minimum !== undefined) c.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) c.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) c.push(`at least ${s.minLength} characters`);
  if (s.maxLength !== undefined) c.push(`at most ${s.maxLength} characters`);
  if (s.minItems !== undefined) c.push(`at least ${s.minItems} items`);
  if (s.maxItems !== undefined) c.push(`at most ${s.maxItems} items`);
  if (s.pattern !== undefined) c.push(`matches ${s.pattern}`);
  if (s.default !== undefined) c.push(`default ${JSON.stringify(s.default)}`);
  return c;
}

/** A schema as nested lists: each property with its type, whether required, its constraints and description. */
function schemaHtml(doc: OpenApiDocument, raw: Schema | undefined, depth = 0): string {
  const s = resolve(doc, raw);
  if (s === undefined || depth > 6) return '';
  const head = `<span class="type">${esc(typeName(s))}</span>${constraints(s)
    .map((c) => ` <span class="constraint">${esc(c)}</span>`)
    .join('')}`;
  const desc = s.description ? ` — ${prose(s.description)}` : '';
  let body = '';
  if (s.properties) {
    const req = new Set(s.required ?? []);
    body = `<ul class="props">${Object.entries(s.properties)
      .map(([name, p]) => {
        const inner = schemaHtml(doc, p, depth + 1);
        return `<li><code class="prop">${esc(name)}</code>${req.has(name) ? ' <span class="required">required</span>' : ''} ${inner}</li>`;
      })
      .join('')}</ul>`;
  } else if (s.items && (s.items.properties || s.items.anyOf || s.items.$ref)) {
    body = `<div class="items">items: ${schemaHtml(doc, s.items, depth + 1)}</div>`;
  }
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) body += `<ul class="alternatives">${alternatives.map((a) => `<li>${schemaHtml(doc, a, depth + 1)}</li>`).join('')}</ul>`;
  return `${head}${desc}${body}`;
}

/** An example value: the schema's own example, else one made from its types, enums and bounds. */
export function exampleOf(doc: OpenApiDocument, raw: Schema | undefined, depth = 0): unknown {
  const s = resolve(doc, raw);
  if (s === undefined || depth > 6) return undefined;
  if (s.examples !== undefined && s.examples.length > 0) return s.examples[0];
  if (s.example !== undefined) return s.example;
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  if (s.enum !== undefined && s.enum.length > 0) return s.enum[0];
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives?.[0]) return exampleOf(doc, alternatives[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type ?? (s.properties ? 'object' : undefined)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set(s.required ?? []);
      for (const [name, p] of Object.entries(s.properties ?? {})) {
        // Required members always; optional ones only when the schema gives their example.
        const value = required.has(name) || p.examples || p.example !== undefined ? exampleOf(doc, p, depth + 1) : undefined;
        if (value !== undefined) out[name] = value;
      }
      return out;
    }
    case 'array': {
      const item = exampleOf(doc, s.items, depth + 1);
      return item === undefined ? [] : [item];
    }
    case 'string':
      return s.format === 'date-time' ? '2026-01-01T12:00:00.000Z' : 'string';
    case 'integer':
      return Math.max(s.minimum ?? 1, 1);
    case 'number':
      return s.maximum !== undefined && s.maximum <= 1 && (s.minimum ?? 0) >= -1 ? 0.5 : 1.5;
    case 'boolean':
      return true;
    default:
      return undefined;
  }
}

function exampleBlock(label: string, value: unknown): string {
  if (value === undefined) return '';
  return `<p class="example-label">${esc(label)}</p><pre><code>${esc(JSON.stringify(value, null, 2))}</code></pre>`;
}

function parametersHtml(doc: OpenApiDocument, params: Parameter[] | undefined): string {
  if (!params || params.length === 0) return '';
  const rows = params
    .map((p) => {
      const s = resolve(doc, p.schema) ?? {};
      const desc = p.description ?? s.description;
      return `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${esc(typeName(s))}${constraints(s)
        .map((c) => `<br><span class="constraint">${esc(c)}</span>`)
        .join('')}</td><td>${p.required ? 'yes' : 'no'}</td><td>${desc ? prose(desc) : ''}</td></tr>`;
    })
    .join('');
  return `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>required</th><th>description</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function operationHtml(doc: OpenApiDocument, method: string, path: string, op: Operation, problems: Record<string, ProblemType>): string {
  const parts = [`<section class="operation" id="${operationAnchor(method, path)}">`, `<h3><span class="method method-${method.toLowerCase()}">${method}</span> <code>${esc(path)}</code></h3>`];
  if (op.summary) parts.push(`<p class="summary">${prose(op.summary)}</p>`);
  if (op.description) parts.push(`<p>${prose(op.description)}</p>`);
  parts.push(parametersHtml(doc, op.parameters));
  const body = op.requestBody?.content;
  if (body) {
    for (const [type, { schema }] of Object.entries(body)) {
      parts.push(`<h4>Request body <code>${esc(type)}</code>${op.requestBody?.required ? ' <span class="required">required</span>' : ''}</h4>`, `<div class="schema">${schemaHtml(doc, schema)}</div>`);
      parts.push(exampleBlock('Example request body', exampleOf(doc, schema)));
    }
  }
  const responses = Object.entries(op.responses ?? {});
  if (responses.length > 0) {
    parts.push('<h4>Responses</h4><dl class="responses">');
    for (const [status, r] of responses) {
      const content = Object.entries(r.content ?? {});
      const isProblem = /^[45]/.test(status);
      const codes = isProblem
        ? Object.entries(problems)
            .filter(([, p]) => String(p.status) === status)
            .map(([c]) => `<a href="#${problemAnchor(c)}"><code>${esc(c)}</code></a>`)
        : [];
      parts.push(`<dt><span class="status status-${status[0]}xx">${esc(status)}</span> ${r.description ? prose(r.description) : ''}</dt><dd>`);
      if (codes.length > 0) parts.push(`<p>Problem codes with this status: ${codes.join(', ')}</p>`);
      for (const [type, { schema }] of content) {
        parts.push(`<p><code>${esc(type)}</code></p>`);
        if (isProblem) continue; // every problem document has the same shape, described once below
        parts.push(`<details><summary>Schema</summary><div class="schema">${schemaHtml(doc, schema)}</div></details>`, exampleBlock('Example', exampleOf(doc, schema)));
      }
      parts.push('</dd>');
    }
    parts.push('</dl>');
  }
  parts.push('</section>');
  return parts.join('\n');
}

function page(title: string, body: string, cssHref: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="${esc(cssHref)}">
<link rel="icon" href="data:,">
</head>
<body>
${body}
</body>
</html>
`;
}

/** The whole API reference: every operation of `doc`, then the problem catalogue. */
export function renderDocsPage(doc: OpenApiDocument, problems: Record<string, ProblemType>): string {
  const ops = operations(doc);
  const toc = ops
    .map(
      ([m, p, op]) =>
        `<li><a href="#${operationAnchor(m, p)}"><span class="method method-${m.toLowerCase()}">${m}</span> <code>${esc(p)}</code></a>${op.summary ? ` — ${prose(op.summary)}` : ''}</li>`,
    )
    .join('\n');
  const catalogue = Object.entries(problems)
    .map(
      ([code, p]) =>
        `<tr id="${problemAnchor(code)}"><td><a href="${PROBLEM_TYPE_BASE}${esc(code)}"><code>${esc(code)}</code></a></td><td>${p.status}</td><td>${prose(p.title)}</td><td>${prose(p.description)}</td></tr>`,
    )
    .join('\n');
  const body = `<header>
<h1>${esc(doc.info.title)} API <span class="version">${esc(doc.info.version)}</span></h1>
${doc.info.description ? `<p>${prose(doc.info.description)}</p>` : ''}
<p>The machine-readable document: <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI 3.1). The web page: <a href="/">/</a>.</p>
</header>
<nav aria-label="Contents"><h2>Contents</h2><ul class="toc">
${toc}
</ul><p><a href="#problems">Problems (errors)</a></p></nav>
<main>
<h2>Operations</h2>
${ops.map(([m, p, op]) => operationHtml(doc, m, p, op, problems)).join('\n')}
<section id="problems">
<h2>Problems</h2>
<p>Every error is an RFC 9457 problem document (<code>Content-Type: application/problem+json</code>):
<code>type</code> (<code>${PROBLEM_TYPE_BASE}&lt;code&gt;</code>, a page about it), <code>title</code>, <code>status</code>,
<code>detail</code> (what to change), <code>instance</code> (the path), <code>code</code> (stable: match on it),
<code>requestId</code> (the same id as the answer's <code>X-Request-Id</code> header and the server's log lines about it),
and for some codes more members, named below. A rejected request changes nothing.</p>
<table><thead><tr><th>code</th><th>status</th><th>title</th><th>when</th></tr></thead><tbody>
${catalogue}
</tbody></table>
</section>
</main>`;
  return page(`${doc.info.title} API ${doc.info.version}`, body, DOCS_CSS_PATH);
}

/** /problems/<code> for people: what the code means, and where it is in the reference. */
export function renderProblemPage(code: string, p: ProblemType, productTitle: string): string {
  const body = `<main class="problem">
<p class="crumbs"><a href="/docs">${esc(productTitle)} API</a> › <a href="/docs#problems">Problems</a></p>
<h1><code>${esc(code)}</code></h1>
<p><span class="status status-${String(p.status)[0]}xx">${p.status}</span> ${prose(p.title)}</p>
<p>${prose(p.description)}</p>
<p>The answer is a problem document (<code>application/problem+json</code>) with <code>"code": "${esc(code)}"</code>; its
<code>detail</code> says what to change and its <code>requestId</code> finds the request in the server's log.
The full list: <a href="/docs#${problemAnchor(code)}">/docs#${problemAnchor(code)}</a>.</p>
</main>`;
  return page(`${code} — ${productTitle} API`, body, DOCS_CSS_PATH);
}

export const DOCS_CSS = `:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #57606a; --line: #d0d7de; --code: #f3f5f7; --ok: #1a7f37; --bad: #cf222e; --accent: #0969da; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #30363d; --code: #161b22; --ok: #3fb950; --bad: #f85149; --accent: #4493f8; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 64rem; padding: 1rem; font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; }
code { background: var(--code); padding: 0.1em 0.3em; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: var(--code); padding: 0.75rem; border-radius: 6px; overflow-x: auto; }
pre code { padding: 0; }
h1 .version { font-size: 0.6em; color: var(--muted); font-weight: normal; }
.toc { list-style: none; padding: 0; }
.toc li { margin: 0.2rem 0; }
.operation { border-top: 1px solid var(--line); padding-top: 0.5rem; margin-top: 1.5rem; }
.method { display: inline-block; min-width: 4.2em; text-align: center; font: bold 0.8em ui-monospace, monospace; padding: 0.15em 0.4em; border-radius: 4px; border: 1px solid var(--line); }
.method-get { color: var(--accent); }
.method-post { color: var(--ok); }
.method-delete { color: var(--bad); }
.summary { font-weight: 600; }
.type { color: var(--muted); font-style: italic; }
.constraint { color: var(--muted); font-size: 0.9em; }
.required { color: var(--bad); font-size: 0.8em; text-transform: uppercase; }
.props, .alternatives { margin: 0.25rem 0; padding-left: 1.25rem; }
table { border-collapse: collapse; width: 100%; display: block; overflow-x: auto; }
th, td { border: 1px solid var(--line); padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
.status { font: bold 0.9em ui-monospace, monospace; }
.status-2xx { color: var(--ok); }
.status-4xx, .status-5xx { color: var(--bad); }
dd { margin-left: 1.25rem; }
.example-label { margin-bottom: 0; color: var(--muted); }
tr:target { outline: 2px solid var(--accent); }
`;
