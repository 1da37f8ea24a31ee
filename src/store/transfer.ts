// History export (NDJSON, CSV) and import (our own exports, and the original Flask app's MongoDB
// collection exported by `mongoexport`, as NDJSON lines or `--jsonArray`). CSV's formula escape and
// its streaming reader are in csv.ts.
import { createInterface } from 'node:readline';
import { Readable, type Writable } from 'node:stream';
import { once } from 'node:events';
import { isEngineName, score, type EngineName } from '../engine/engines.js';
import { csvField, escapeFormula, readCsv, unescapeFormula } from './csv.js';
import type { HistoryRow, HistoryStore, NewRow } from './history-store.js';

export type ExportFormat = 'ndjson' | 'csv';
export type ImportFormat = 'ndjson' | 'csv' | 'json-array';

const CSV_COLUMNS = ['id', 'text', 'sentiment', 'subjectivity', 'label', 'engine', 'createdAt'] as const;
/** Written as numbers and read as numbers: no formula escape (see csvLine). */
const NUMERIC_COLUMNS: ReadonlySet<string> = new Set(['id', 'sentiment', 'subjectivity']);
const EXPORT_PAGE = 1000;
const IMPORT_BATCH = 500;

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/**
 * A CSV line of a row. Text columns get the formula escape (csv.ts) unless `exact`; numeric columns
 * are written as JavaScript prints the number (digits, '-', '.', 'e'), never escaped: a spreadsheet
 * reads -0.5 as a number, not a formula, and an escape would make it text.
 */
export function csvLine(row: HistoryRow, exact = false): string {
  return (
    CSV_COLUMNS.map((c) => {
      const value = row[c];
      if (NUMERIC_COLUMNS.has(c)) return String(value);
      return csvField(exact ? String(value) : escapeFormula(String(value)));
    }).join(',') + '\r\n'
  );
}

export interface CsvOptions {
  /** CSV cells exactly as stored: no formula escape on export, none removed on import. */
  readonly csvExact?: boolean;
}

/** Writes every row, oldest first (so an import elsewhere keeps the order). Returns the count. */
export async function exportHistory(store: HistoryStore, format: ExportFormat, out: Writable, options: CsvOptions = {}): Promise<number> {
  if (format === 'csv') await write(out, CSV_COLUMNS.join(',') + '\r\n');
  let after = 0;
  let count = 0;
  for (;;) {
    const rows = await store.rowsAfter(after, EXPORT_PAGE);
    if (rows.length === 0) break;
    let chunk = '';
    for (const row of rows) chunk += format === 'csv' ? csvLine(row, options.csvExact) : JSON.stringify(row) + '\n';
    await write(out, chunk);
    count += rows.length;
    after = rows.at(-1)!.id;
  }
  return count;
}

export interface ImportReport {
  imported: number;
  skipped: number;
  /** Rows whose recorded sentiment differs from the engine's score by more than 1e-12. */
  sentimentMismatches: number;
  errors: string[];
}

/** The time a MongoDB ObjectId was made: its first 4 bytes are seconds since the epoch. */
function objectIdTime(id: unknown): Date | undefined {
  const oid = typeof id === 'object' && id !== null ? (id as Record<string, unknown>)['$oid'] : undefined;
  if (typeof oid !== 'string' || !/^[0-9a-f]{24}$/i.test(oid)) return undefined;
  return new Date(parseInt(oid.slice(0, 8), 16) * 1000);
}

function parseDate(v: unknown): Date | undefined {
  if (typeof v === 'object' && v !== null && '$date' in v) v = (v as Record<string, unknown>)['$date'];
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export type ImportRecord = { text?: unknown; sentiment?: unknown; engine?: unknown; createdAt?: unknown; _id?: unknown };

/**
 * Turns one input record into a row: the text is scored again by the engine the record names
 * (`textblob` when it names none: the original app's rows, and our exports from before engines
 * could be chosen), so subjectivity and labels exist for old rows; a recorded sentiment that
 * disagrees is counted, not trusted.
 */
export function toNewRow(rec: ImportRecord): { row: NewRow; mismatch: boolean } | string {
  if (typeof rec.text !== 'string') return 'no string field "text"';
  if (!rec.text.isWellFormed()) return 'text contains a lone UTF-16 surrogate';
  let engine: EngineName = 'textblob';
  if (rec.engine !== undefined && rec.engine !== '') {
    if (!isEngineName(rec.engine)) return `unknown engine ${JSON.stringify(rec.engine).slice(0, 40)} (textblob, vader or blend)`;
    engine = rec.engine;
  }
  const r = score(rec.text, engine);
  const recorded = typeof rec.sentiment === 'number' ? rec.sentiment : typeof rec.sentiment === 'string' && rec.sentiment !== '' ? Number(rec.sentiment) : undefined;
  const createdAt = parseDate(rec.createdAt) ?? objectIdTime(rec._id);
  return {
    row: { text: rec.text, sentiment: r.sentiment, subjectivity: r.subjectivity, engine, ...(createdAt ? { createdAt } : {}) },
    mismatch: recorded !== undefined && !(Math.abs(recorded - r.sentiment) <= 1e-12),
  };
}

/** Collects the rows of an import into batches for the store, and the report. */
class ImportBatches {
  readonly report: ImportReport = { imported: 0, skipped: 0, sentimentMismatches: 0, errors: [] };
  private batch: NewRow[] = [];

  constructor(private readonly store: HistoryStore) {}

  skip(where: string, why: string): void {
    this.report.skipped++;
    if (this.report.errors.length < 20) this.report.errors.push(`${where}: ${why}`);
  }

  async take(where: string, rec: unknown): Promise<void> {
    const result = typeof rec === 'object' && rec !== null && !Array.isArray(rec) ? toNewRow(rec as ImportRecord) : 'not a JSON object';
    if (typeof result === 'string') return this.skip(where, result);
    if (result.mismatch) this.report.sentimentMismatches++;
    this.batch.push(result.row);
    if (this.batch.length >= IMPORT_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const rows = this.batch;
    this.batch = [];
    await this.store.insert(rows);
    this.report.imported += rows.length;
  }
}

/**
 * Reads the input up to its first non-blank character, which tells the format when it is 'auto':
 * '[' a JSON array, '{' NDJSON, else CSV. `chunks` yields the whole input, what was read included.
 */
async function detectFormat(input: Readable, format: ImportFormat | 'auto'): Promise<{ format: ImportFormat; chunks: AsyncGenerator<string> }> {
  input.setEncoding('utf8');
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<string>;
  let head = '';
  let first = await iterator.next();
  while (!first.done && head.trim() === '') {
    head += first.value;
    if (head.trim() === '') first = await iterator.next();
  }
  const lead = head.trimStart()[0];
  const resolved: ImportFormat = format !== 'auto' ? format : lead === '[' ? 'json-array' : lead === '{' ? 'ndjson' : 'csv';
  return { format: resolved, chunks: chunksAfter(head, iterator) };
}

async function* chunksAfter(head: string, iterator: AsyncIterator<string>): AsyncGenerator<string> {
  if (head !== '') yield head;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield next.value;
  }
}

async function importJsonArray(chunks: AsyncIterable<string>, batches: ImportBatches): Promise<void> {
  let all = '';
  for await (const c of chunks) all += c;
  let parsed: unknown;
  try {
    parsed = JSON.parse(all);
  } catch (e) {
    throw new Error(`the input is not a JSON array: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new Error('the input is not a JSON array');
  for (let i = 0; i < parsed.length; i++) await batches.take(`element ${i}`, parsed[i]);
}

async function importNdjson(chunks: AsyncIterable<string>, batches: ImportBatches): Promise<void> {
  const lines = createInterface({ input: Readable.from(chunks), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      batches.skip(`line ${n}`, 'not valid JSON');
      continue;
    }
    await batches.take(`line ${n}`, rec);
  }
}

/**
 * A malformed record (a stray or unclosed quote, too many or too few fields) is skipped and
 * reported with its first line, like a bad NDJSON line; a malformed header stops the import.
 */
async function importCsv(chunks: AsyncIterable<string>, batches: ImportBatches, options: CsvOptions): Promise<void> {
  let header: string[] | undefined;
  for await (const item of readCsv(chunks)) {
    if (header === undefined) {
      if ('problem' in item) throw new Error(`the CSV header (line ${item.line}) is malformed: ${item.problem}`);
      header = item.fields.map((h) => h.trim());
      if (!header.includes('text')) throw new Error('the CSV header has no "text" column');
      continue;
    }
    if ('problem' in item) {
      batches.skip(`line ${item.line}`, item.problem);
      continue;
    }
    const rec: Record<string, string> = {};
    header.forEach((h, i) => {
      const cell = item.fields[i] ?? '';
      rec[h] = options.csvExact || NUMERIC_COLUMNS.has(h) ? cell : unescapeFormula(cell);
    });
    await batches.take(`line ${item.line}`, rec);
  }
}

/** Reads records from `input` and inserts them in batches. Bad records are skipped and reported. */
export async function importHistory(store: HistoryStore, format: ImportFormat | 'auto', input: Readable, options: CsvOptions = {}): Promise<ImportReport> {
  const batches = new ImportBatches(store);
  const detected = await detectFormat(input, format);
  if (detected.format === 'json-array') await importJsonArray(detected.chunks, batches);
  else if (detected.format === 'ndjson') await importNdjson(detected.chunks, batches);
  else await importCsv(detected.chunks, batches, options);
  await batches.flush();
  return batches.report;
}
