// History export (NDJSON, CSV) and import (our own exports, and the original Flask app's MongoDB
// collection exported by `mongoexport`, as NDJSON lines or `--jsonArray`).
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { isEngineName, score, type EngineName } from '../engine/engines.js';
import type { HistoryRow, HistoryStore, NewRow } from './history-store.js';

export type ExportFormat = 'ndjson' | 'csv';
export type ImportFormat = 'ndjson' | 'csv' | 'json-array';

const CSV_COLUMNS = ['id', 'text', 'sentiment', 'subjectivity', 'label', 'engine', 'createdAt'] as const;
const EXPORT_PAGE = 1000;
const IMPORT_BATCH = 500;

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/** RFC 4180 field: quoted when it holds a comma, quote, CR or LF, or edge whitespace. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(row: HistoryRow): string {
  return CSV_COLUMNS.map((c) => csvField(String(row[c]))).join(',') + '\r\n';
}

/** Writes every row, oldest first (so an import elsewhere keeps the order). Returns the count. */
export async function exportHistory(store: HistoryStore, format: ExportFormat, out: Writable): Promise<number> {
  if (format === 'csv') await write(out, CSV_COLUMNS.join(',') + '\r\n');
  let after = 0;
  let count = 0;
  for (;;) {
    const rows = await store.rowsAfter(after, EXPORT_PAGE);
    if (rows.length === 0) break;
    let chunk = '';
    for (const row of rows) chunk += format === 'csv' ? csvLine(row) : JSON.stringify(row) + '\n';
    await write(out, chunk);
    count += rows.length;
    after = rows.at(-1)!.id;
  }
  return count;
}

/** Splits CSV text into records (arrays of fields), across chunk boundaries. RFC 4180. */
export class CsvParser {
  private field = '';
  private record: string[] = [];
  private quoted = false;
  private afterQuote = false;
  private fieldStarted = false;

  push(chunk: string, emit: (record: string[]) => void): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.quoted) {
        if (c === '"') {
          this.quoted = false;
          this.afterQuote = true;
        } else this.field += c;
        continue;
      }
      if (c === '"') {
        if (this.afterQuote) this.field += '"'; // "" inside a quoted field
        this.quoted = true;
        this.afterQuote = false;
        this.fieldStarted = true;
      } else if (c === ',') {
        this.endField();
      } else if (c === '\n') {
        this.endRecord(emit);
      } else if (c === '\r') {
        // CRLF ends the record at the LF; a lone CR is ignored outside quotes.
      } else {
        this.field += c;
        this.fieldStarted = true;
        this.afterQuote = false;
      }
    }
  }

  end(emit: (record: string[]) => void): void {
    if (this.fieldStarted || this.record.length > 0) this.endRecord(emit);
  }

  private endField(): void {
    this.record.push(this.field);
    this.field = '';
    this.afterQuote = false;
    this.fieldStarted = false;
  }

  private endRecord(emit: (record: string[]) => void): void {
    this.endField();
    const record = this.record;
    this.record = [];
    if (!(record.length === 1 && record[0] === '')) emit(record);
  }
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

/** Reads records from `input` and inserts them in batches. Bad records are skipped and reported. */
export async function importHistory(store: HistoryStore, format: ImportFormat | 'auto', input: Readable): Promise<ImportReport> {
  const report: ImportReport = { imported: 0, skipped: 0, sentimentMismatches: 0, errors: [] };
  let batch: NewRow[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    await store.insert(rows);
    report.imported += rows.length;
  };
  const take = async (where: string, rec: unknown) => {
    const result = typeof rec === 'object' && rec !== null && !Array.isArray(rec) ? toNewRow(rec as ImportRecord) : 'not a JSON object';
    if (typeof result === 'string') {
      report.skipped++;
      if (report.errors.length < 20) report.errors.push(`${where}: ${result}`);
      return;
    }
    if (result.mismatch) report.sentimentMismatches++;
    batch.push(result.row);
    if (batch.length >= IMPORT_BATCH) await flush();
  };

  input.setEncoding('utf8');
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<string>;
  // Auto-detection looks at the first non-blank character: '[' JSON array, '{' NDJSON, else CSV.
  let head = '';
  let first = await iterator.next();
  while (!first.done && head.trim() === '') {
    head += first.value;
    if (head.trim() === '') first = await iterator.next();
  }
  const lead = head.trimStart()[0];
  const resolved: ImportFormat = format !== 'auto' ? format : lead === '[' ? 'json-array' : lead === '{' ? 'ndjson' : 'csv';
  async function* chunks(): AsyncGenerator<string> {
    if (head !== '') yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }

  if (resolved === 'json-array') {
    let all = '';
    for await (const c of chunks()) all += c;
    let parsed: unknown;
    try {
      parsed = JSON.parse(all);
    } catch (e) {
      throw new Error(`the input is not a JSON array: ${(e as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new Error('the input is not a JSON array');
    for (let i = 0; i < parsed.length; i++) await take(`element ${i}`, parsed[i]);
  } else if (resolved === 'ndjson') {
    const lines = createInterface({ input: (await import('node:stream')).Readable.from(chunks()), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch {
        report.skipped++;
        if (report.errors.length < 20) report.errors.push(`line ${n}: not valid JSON`);
        continue;
      }
      await take(`line ${n}`, rec);
    }
  } else {
    const parser = new CsvParser();
    let header: string[] | undefined;
    let n = 0;
    const records: string[][] = [];
    const onRecord = (r: string[]) => records.push(r);
    const drain = async () => {
      for (const r of records.splice(0)) {
        n++;
        if (header === undefined) {
          header = r.map((h) => h.trim().replace(/^\uFEFF/, ''));
          if (!header.includes('text')) throw new Error('the CSV header has no "text" column');
          continue;
        }
        const rec: Record<string, string> = {};
        header.forEach((h, i) => (rec[h] = r[i] ?? ''));
        await take(`record ${n}`, rec);
      }
    };
    for await (const c of chunks()) {
      parser.push(c, onRecord);
      await drain();
    }
    parser.end(onRecord);
    await drain();
  }
  await flush();
  return report;
}
