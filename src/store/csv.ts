// CSV for the history's export and import: RFC 4180 fields, the formula escape that keeps a
// spreadsheet from running a text as a formula, and a streaming reader (csv-parse) that skips a
// malformed record and says on which line it starts, instead of letting a stray quote swallow the
// records after it.
import { parse, type CsvError, type InfoRecord, type Options } from 'csv-parse';

/** RFC 4180 field: quoted when it holds a comma, quote, CR or LF, or edge whitespace. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

// OWASP, "CSV Injection": a cell that starts with = + - @ tab or carriage return is read by
// Excel, LibreOffice and Google Sheets as a formula; prefixing a single quote makes it text.
// Prefixing only those cells would not be reversible: a text that really starts with '= would read
// back as =. So a cell that starts with any run of quotes followed by a trigger also gets one more
// quote; the importer removes one quote from every cell that starts with quotes followed by a
// trigger. escape and unescape are then inverse for every string (tested), and no escaped cell
// starts with a trigger.
const FORMULA = /^'*[=+\-@\t\r]/;
const ESCAPED_FORMULA = /^'+[=+\-@\t\r]/;

export function escapeFormula(cell: string): string {
  return FORMULA.test(cell) ? `'${cell}` : cell;
}

export function unescapeFormula(cell: string): string {
  return ESCAPED_FORMULA.test(cell) ? cell.slice(1) : cell;
}

/** A record with its fields, or a malformed record that was skipped; `line` is 1-based. */
export type CsvItem = { readonly line: number; readonly fields: string[] } | { readonly line: number; readonly problem: string };

/**
 * Line numbers from byte offsets. csv-parse counts CR and LF of a CRLF inside a quoted field as two
 * lines, so the reader counts lines itself (LF ends a line; CRLF ends in LF) from the bytes it
 * feeds, and asks csv-parse only for byte offsets. Offsets are asked for in increasing order, so
 * only the line ends not yet passed are kept: memory is bounded by one chunk.
 */
export class LineIndex {
  private ends: { end: number; empty: boolean }[] = [];
  private head = 0;
  private bytes = 0;
  private lineStart = 0;
  private prevCr = false;
  private passed = 0;
  private lastEnd = 0;

  feed(buf: Buffer): void {
    for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) {
      const at = this.bytes + i;
      const crBefore = i > 0 ? buf[i - 1] === 0x0d : this.prevCr;
      this.ends.push({ end: at + 1, empty: at === this.lineStart || (at === this.lineStart + 1 && crBefore) });
      this.lineStart = at + 1;
    }
    if (buf.length > 0) this.prevCr = buf[buf.length - 1] === 0x0d;
    this.bytes += buf.length;
  }

  /** Bytes fed so far. */
  get fed(): number {
    return this.bytes;
  }

  /** The line that holds the byte at `offset` (a line's LF belongs to it). */
  lineAt(offset: number): number {
    while (this.head < this.ends.length && this.ends[this.head]!.end <= offset) this.pass();
    return this.passed + 1;
  }

  /** The last line of what ends at `offset` (the line ended by an LF just before it, if any). */
  lineBefore(offset: number): number {
    const line = this.lineAt(offset);
    return this.passed > 0 && this.lastEnd === offset ? line - 1 : line;
  }

  /** The last line of everything fed so far. */
  lastLine(): number {
    return this.lineBefore(this.fed);
  }

  /** The first non-empty line from the line start at `offset` (csv-parse skips empty lines). */
  firstLineFrom(offset: number): number {
    this.lineAt(offset);
    while (this.head < this.ends.length && this.ends[this.head]!.empty) this.pass();
    return this.passed + 1;
  }

  private pass(): void {
    this.lastEnd = this.ends[this.head]!.end;
    this.head++;
    this.passed++;
    if (this.head > 1024 && this.head * 2 > this.ends.length) {
      this.ends = this.ends.slice(this.head);
      this.head = 0;
    }
  }
}

const lineBreaks = (fields: readonly string[]) => fields.reduce((n, f) => n + f.split('\n').length - 1, 0);

/**
 * What is wrong with the quotes of one record's raw text, if anything (RFC 4180: a field is either
 * free of quotes, or quoted with its inner quotes doubled and its closing quote followed by a comma
 * or the end of the record). csv-parse runs with `relax_quotes`, so that a stray quote is kept as
 * a character and the record still ends at its line end (strict, it would stay inside the "quoted"
 * field and take the records after it along); this check then finds the stray quote.
 */
export function quoteProblem(raw: string): string | undefined {
  // csv-parse's raw text of a record keeps the CR or LF that ends it and the blank lines before it.
  const end = raw.length - (raw.endsWith('\r\n') ? 2 : raw.endsWith('\n') || raw.endsWith('\r') ? 1 : 0);
  let i = 0;
  while (i < end && (raw[i] === '\n' || raw[i] === '\r')) i++;
  for (;;) {
    if (raw[i] === '"') {
      for (i++; ; i += 2) {
        i = raw.indexOf('"', i);
        if (i === -1 || i >= end) return 'a quoted field is never closed';
        if (raw[i + 1] !== '"' || i + 1 >= end) break;
      }
      i++;
      if (i >= end) return undefined;
      if (raw[i] !== ',') return `a quoted field's closing quote is followed by ${JSON.stringify(raw[i])}, not by a comma or the end of the line (inside a quoted field a quote is written twice)`;
      i++;
    } else {
      const quote = raw.indexOf('"', i);
      if (quote === -1 || quote >= end) return undefined; // the fields left are unquoted and free of quotes
      const comma = raw.indexOf(',', i);
      if (comma === -1 || comma >= quote) return 'a quote inside an unquoted field (a field with a quote, comma or line break must be quoted, its quotes doubled)';
      i = comma + 1;
    }
  }
}

/** Far above any text worth scoring (MAX_TEXT_CHARS is at most 10 million UTF-16 units). */
export const MAX_RECORD_BYTES = 64 * 2 ** 20;

/**
 * Reads CSV records from text or byte chunks, with constant memory (a record is held only until it
 * is yielded). RFC 4180 with CRLF or LF line ends, an optional UTF-8 BOM, blank lines ignored.
 * The first record is the header. A record with a misplaced quote, or with more or fewer fields
 * than the header, is yielded as a problem with its first line, and reading goes on at the next
 * line; a quote never closed takes the rest of the input with it, and says so. A record longer
 * than `maxRecordBytes` throws.
 */

export async function* readCsv(chunks: AsyncIterable<string | Buffer>, maxRecordBytes = MAX_RECORD_BYTES): AsyncGenerator<CsvItem> {
  const lines = new LineIndex();
  const queue: CsvItem[] = [];
  let headerLength: number | undefined;
  let boundary = 0; // where the last record ended
  const options: Options = {
    bom: true,
    record_delimiter: ['\r\n', '\n'],
    skip_empty_lines: true,
    relax_quotes: true, // stray quotes are found by quoteProblem(), see there
    relax_column_count: true, // reported below with the record's line, rather than as a skip
    skip_records_with_error: true, // only "quote not closed" at the end of the input is left
    raw: true,
    // With `raw`, csv-parse hands on_record { record, raw }. Returning null keeps the record off the
    // stream's readable side: the reader yields from its own queue, in order with the problems.
    on_record: ((rec: { record: string[]; raw: string }, info: InfoRecord) => {
      const { record: fields, raw } = rec;
      boundary = info.bytes;
      headerLength ??= fields.length;
      const last = lines.lineBefore(info.bytes);
      const line = last - lineBreaks(fields);
      const until = last > line ? ` (the record runs to line ${last})` : '';
      const quotes = quoteProblem(raw);
      if (quotes !== undefined) queue.push({ line, problem: quotes + until });
      else if (info.error) queue.push({ line, problem: `${fields.length} fields, where the header has ${headerLength}${until}` });
      else queue.push({ line, fields });
      return null;
    }) as unknown as Options['on_record'],
    on_skip: (err: CsvError | undefined) => {
      if (err === undefined) return undefined;
      // err.bytes is where the last field before the error began (or its record, after blank lines).
      const at = typeof err['bytes'] === 'number' ? err['bytes'] : 0;
      const line = err['index'] === 0 ? lines.firstLineFrom(at) : lines.lineAt(at);
      const problem = err.code === 'CSV_QUOTE_NOT_CLOSED' ? `a quoted field that starts on this line is never closed: the rest of the input, to line ${lines.lastLine()}, is skipped` : err.message;
      queue.push({ line, problem });
      return undefined;
    },
  };
  const parser = parse(options);
  parser.resume();
  let failed: Error | undefined;
  parser.on('error', (err: Error) => (failed ??= err));
  const write = (buf: Buffer) => new Promise<void>((resolve, reject) => parser.write(buf, (err) => (err ? reject(err) : resolve())));
  try {
    for await (const chunk of chunks) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      lines.feed(buf);
      await write(buf);
      yield* queue.splice(0);
      // A quote never closed would otherwise have csv-parse hold the rest of the input as one field.
      if (lines.fed - boundary > maxRecordBytes) {
        throw new Error(`line ${lines.firstLineFrom(boundary)}: a record longer than ${maxRecordBytes} bytes (a quote never closed?)`);
      }
    }
    await new Promise<void>((resolve, reject) => {
      parser.once('error', reject);
      parser.end(() => resolve());
    });
    if (failed) throw failed;
    yield* queue.splice(0);
  } finally {
    parser.destroy();
  }
}
