// polarity analyze — score a text, or a JSON-lines stream, with one of the engines.
import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { parseArgs } from 'node:util';
import { ENGINE_NAMES, isEngineName, scoreExplained, type EngineName } from '../engine/engines.js';
import { analyze } from '../engine/index.js';

export interface AnalyzeIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export const ANALYZE_USAGE = `Usage: polarity analyze TEXT
       polarity analyze -            (score all of stdin as one text)
       polarity analyze --jsonl      (score {"id", "text"} lines from stdin)

Without --engine, scores text exactly as TextBlob 0.18's default analyser (PatternAnalyzer) does,
with TextBlob's field names. TEXT mode prints one JSON object:
  {"polarity": <-1..1>, "subjectivity": <0..1>, "assessments": [[words, polarity, subjectivity, label], ...]}

With --engine textblob|vader|blend, prints what POST /analyze answers with "explain": true:
  {"engine", "sentiment": <-1..1>, "subjectivity": <0..1>, "label", "assessments": [...]}
  (vader adds "vader": {compound, pos, neu, neg}; blend adds "contributions").

--jsonl reads one JSON object per line, {"id": <any>, "text": <string>}, and writes one line per
input line, in input order: {"id", ...the fields above}. Blank lines are
skipped. A malformed line (bad JSON, missing or non-string "text") gets
{"id": <id or null>, "line": <line number>, "error": "<why>"} and the run goes on.

Exit status: 0 on success, 1 if any --jsonl line failed, 2 on a usage error.

Options:
  --engine NAME  textblob, vader or blend (see above)
  --jsonl     read JSON lines from stdin
  -h, --help  show this help
`;

/** Runs `polarity analyze …` and resolves to the exit code. */
export async function runAnalyze(argv: string[], io: AnalyzeIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { jsonl: { type: 'boolean' }, engine: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    io.stderr.write(`polarity analyze: ${(err as Error).message}\n${ANALYZE_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    await write(io.stdout, ANALYZE_USAGE);
    return 0;
  }
  const engine = values.engine;
  if (engine !== undefined && !isEngineName(engine)) {
    io.stderr.write(`polarity analyze: --engine must be one of ${ENGINE_NAMES.join(', ')}, got "${engine}"\n`);
    return 2;
  }
  if (values.jsonl) {
    if (positionals.length > 0) {
      io.stderr.write(`polarity analyze: --jsonl reads stdin and takes no TEXT\n${ANALYZE_USAGE}`);
      return 2;
    }
    return analyzeLines(io.stdin, io.stdout, engine);
  }
  if (positionals.length === 0) {
    io.stderr.write(`polarity analyze: missing TEXT (or --jsonl)\n${ANALYZE_USAGE}`);
    return 2;
  }
  const text = positionals.length === 1 && positionals[0] === '-' ? await readAll(io.stdin) : positionals.join(' ');
  await write(io.stdout, JSON.stringify(scoreText(text, engine)) + '\n');
  return 0;
}

/** TextBlob's own field names without --engine (scripts rely on them); the API's shape with it. */
function scoreText(text: string, engine: EngineName | undefined): object {
  if (engine === undefined) {
    const { polarity, subjectivity, assessments } = analyze(text);
    return { polarity, subjectivity, assessments };
  }
  return scoreExplained(text, engine);
}

/** Writes and, when the stream asks for it, waits for 'drain' (backpressure). */
async function write(out: NodeJS.WritableStream, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out as unknown as NodeJS.EventEmitter, 'drain');
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  for await (const chunk of input) text += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
  return text + decoder.end();
}

/** The output line for one input line (without the newline), and whether it is an error. */
function scoreLine(line: string, lineNo: number, engine: EngineName | undefined): { out: string; failed: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return fail(null, lineNo, `invalid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail(null, lineNo, 'expected a JSON object {"id": ..., "text": "..."}');
  }
  const record = value as Record<string, unknown>;
  const id = Object.hasOwn(record, 'id') ? record.id : null;
  if (!Object.hasOwn(record, 'text')) return fail(id, lineNo, 'missing "text"');
  if (typeof record.text !== 'string') return fail(id, lineNo, '"text" must be a string');
  return { out: JSON.stringify({ id, ...scoreText(record.text, engine) }), failed: false };
}

function fail(id: unknown, line: number, error: string): { out: string; failed: boolean } {
  return { out: JSON.stringify({ id, line, error }), failed: true };
}

/**
 * Streams stdin line by line: one chunk of input is read at a time, its complete lines are scored
 * and written as one chunk, and the next input chunk is only read once stdout has room again.
 * Memory stays bounded by the largest line plus one input chunk.
 */
async function analyzeLines(input: NodeJS.ReadableStream, out: NodeJS.WritableStream, engine: EngineName | undefined): Promise<number> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let lineNo = 0;
  let failures = 0;
  const take = (text: string, final: boolean): string => {
    let batch = '';
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0 && !final) break;
      const end = nl < 0 ? text.length : nl;
      if (nl < 0 && end === start) break;
      let line = text.slice(start, end);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      lineNo++;
      if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1); // a UTF-8 byte-order mark
      if (line.trim() !== '') {
        const r = scoreLine(line, lineNo, engine);
        if (r.failed) failures++;
        batch += r.out + '\n';
      }
      if (nl < 0) {
        start = text.length;
        break;
      }
      start = nl + 1;
    }
    pending = text.slice(start);
    return batch;
  };
  for await (const chunk of input) {
    const str = typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    if (str.indexOf('\n') < 0) {
      pending += str; // a long line arriving in pieces: no rescanning of what came before
      continue;
    }
    const batch = take(pending + str, false);
    if (batch !== '') await write(out, batch);
  }
  const batch = take(pending + decoder.end(), true);
  if (batch !== '') await write(out, batch);
  return failures > 0 ? 1 : 0;
}
