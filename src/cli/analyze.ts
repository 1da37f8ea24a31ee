// polarity analyze — score a text, or a JSON-lines stream, with one of the engines.
import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { parseArgs } from 'node:util';
import { DEFAULT_ENGINE, ENGINE_NAMES, isEngineName, scoreExplained, type EngineName } from '../engine/engines.js';

export interface AnalyzeIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export const ANALYZE_USAGE = `Usage: polarity analyze TEXT
       polarity analyze -            (score all of stdin as one text)
       polarity analyze --jsonl      (score {"id", "text"} lines from stdin)

Prints what POST /analyze answers with "explain": true, with the same field names:
  {"sentiment": <-1..1>, "subjectivity": <0..1>, "label": "positive"|"negative"|"neutral",
   "engine", "assessments": [...]}
The engine is textblob (TextBlob 0.18's PatternAnalyzer, exactly: "sentiment" is its polarity;
assessments [words, polarity, subjectivity, label, spans]) unless --engine says otherwise;
vader adds "vader": {compound, pos, neu, neg}; blend adds "contributions".

--jsonl reads one JSON object per line, {"id": <any>, "text": <string>}, and writes one line per
input line, in input order: {"id", ...the fields above}. Blank lines are
skipped. A malformed line (bad JSON, missing or non-string "text") gets
{"id": <id or null>, "line": <line number>, "error": "<why>"} and the run goes on.

Exit status: 0 on success, 1 if any --jsonl line failed, 2 on a usage error.

Options:
  --engine NAME  textblob (the default), vader or blend
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
  const engine = values.engine ?? DEFAULT_ENGINE;
  if (!isEngineName(engine)) {
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

/**
 * The API's answer with "explain": true, field for field (sentiment, subjectivity, label, engine,
 * assessments). Until 0.2 the default printed TextBlob's own names (polarity, …) and no label.
 */
function scoreText(text: string, engine: EngineName): object {
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
function scoreLine(line: string, lineNo: number, engine: EngineName): { out: string; failed: boolean } {
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
async function analyzeLines(input: NodeJS.ReadableStream, out: NodeJS.WritableStream, engine: EngineName): Promise<number> {
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
