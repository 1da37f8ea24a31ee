// The few Python behaviours Locust's output depends on, reproduced so that our numbers and files
// are byte-for-byte what Locust would write for the same measurements:
//  - round() on floats: correctly rounded, ties to even (CPython floatobject.c double_round);
//  - repr() of floats: shortest round-trip digits, exponent form below 1e-4 and from 1e16;
//  - csv.writer's default "excel" dialect: minimal quoting, "\r\n" line ends, None as "";
//  - json.dumps defaults, which requests uses for `json=` bodies: ", " and ": " separators, ASCII only.

/**
 * Python's round(x, ndigits) for ndigits ≤ 0 on a float: the multiple of 10^-ndigits nearest to x,
 * ties to the even multiple, decided on the exact binary value of x (so 145.0 → 140, 155.0 → 160,
 * 145.0000001 → 150).
 */
export function pyRound(x: number, ndigits = 0): number {
  if (!Number.isFinite(x)) return x;
  if (ndigits > 0) throw new RangeError('pyRound supports ndigits <= 0 only');
  const unit = 10 ** -ndigits;
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  // fmod is exact for doubles, and so is ax - rem (a representable multiple of unit below ax).
  const rem = ax % unit;
  const lower = ax - rem;
  const half = unit / 2;
  let r: number;
  if (rem > half) r = lower + unit;
  else if (rem < half) r = lower;
  else r = (lower / unit) % 2 === 0 ? lower : lower + unit;
  return sign * r;
}

/** Python's repr() of a float. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest digits that round-trip, as repr does.
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(x.toExponential());
  if (!m) return String(x);
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const exp = Number(m[4]); // x = d.ddd × 10^exp
  const decpt = exp + 1; // position of the decimal point after the first digit, as CPython counts it
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp);
  return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
}

/** A value as Python's str() prints it: ints plainly, floats by repr, None as "" (csv's rule). */
export type PyValue = number | string | null | { float: number };

/** Marks a number as a Python float, so an integral value prints as "150.0" rather than "150". */
export const pyFloat = (x: number): { float: number } => ({ float: x });

export function pyStr(v: PyValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  return pyFloatRepr(v.float);
}

/** One row as csv.writer (excel dialect, QUOTE_MINIMAL) writes it, with its "\r\n". */
export function csvRow(values: PyValue[]): string {
  return (
    values
      .map((v) => {
        const s = pyStr(v);
        return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
      })
      .join(',') + '\r\n'
  );
}

/** Python's repr() of a str: single quotes unless the text holds a ' and no ". */
export function pyStrRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + q;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + q;
}

/** json.dumps(value) with Python's defaults (what requests sends for `json=`). */
export function pyJsonDumps(value: unknown): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('JSON bodies cannot hold NaN or Infinity');
    return Number.isInteger(value) ? String(value) : pyFloatRepr(value);
  }
  if (typeof value === 'string') {
    let out = '"';
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      const ch = value[i]!;
      if (ch === '"') out += '\\"';
      else if (ch === '\\') out += '\\\\';
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else if (ch === '\b') out += '\\b';
      else if (ch === '\f') out += '\\f';
      else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
      else out += ch;
    }
    return out + '"';
  }
  if (Array.isArray(value)) return '[' + value.map(pyJsonDumps).join(', ') + ']';
  if (typeof value === 'object') {
    return (
      '{' +
      Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${pyJsonDumps(k)}: ${pyJsonDumps(v)}`)
        .join(', ') +
      '}'
    );
  }
  throw new TypeError(`cannot serialise ${typeof value} as JSON`);
}
