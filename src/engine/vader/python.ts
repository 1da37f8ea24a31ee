/**
 * The Python semantics VADER depends on beyond those in ../unicode.ts: str.isupper(),
 * string.punctuation, and round(x, n) on a float.
 */
import { CASE_RUNS } from './case-data.js';

/** string.punctuation: the 32 ASCII punctuation characters that _strip_punc_if_word strips. */
export function isAsciiPunct(c: number): boolean {
  return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

// CASE_RUNS as two typed arrays, private and never written after load.
const RUN_START = new Int32Array(CASE_RUNS.length / 2);
const RUN_CLASS = new Uint8Array(CASE_RUNS.length / 2);
for (let r = 0; r < RUN_START.length; r++) {
  RUN_START[r] = CASE_RUNS[2 * r]!;
  RUN_CLASS[r] = CASE_RUNS[2 * r + 1]!;
}

/** 0 uncased, 1 lower or title case, 2 upper case, in CPython 3.11's Unicode 14.0 (case-data.ts). */
export function caseClass(cp: number): number {
  let lo = 0;
  let hi = RUN_START.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (RUN_START[mid]! <= cp) lo = mid;
    else hi = mid - 1;
  }
  return RUN_CLASS[lo]!;
}

/**
 * Python's str.isupper(): at least one upper-case character and no lower- or title-case one
 * (CPython unicode_isupper_impl). Surrogate pairs are one character; a lone surrogate is uncased.
 */
export function pyIsUpper(s: string): boolean {
  let upper = false;
  for (let k = 0; k < s.length; k++) {
    let c = s.charCodeAt(k);
    if (c < 0x80) {
      if (c >= 0x61 && c <= 0x7a) return false;
      if (c >= 0x41 && c <= 0x5a) upper = true;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && k + 1 < s.length) {
      const d = s.charCodeAt(k + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        k++;
      }
    }
    const k2 = caseClass(c);
    if (k2 === 1) return false;
    if (k2 === 2) upper = true;
  }
  return upper;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];

/**
 * Python's round(x, digits) for a float: CPython's double_round converts x to the decimal string
 * correctly rounded to `digits` places (_Py_dg_dtoa mode 3: the exact binary value, ties to
 * even) and reads it back (_Py_dg_strtod). So round(0.0625, 3) is 0.062, round(0.1875, 3) 0.188,
 * and round(-0.00001, 4) is -0.0.
 */
export function pyRound(x: number, digits: number): number {
  const scale = POW10[digits]!;
  const y = x * scale;
  // |y - x·scale| ≤ |y|·2⁻⁵³. Unless y lies within that much of a half-integer, the exact product
  // and y round to the same integer r, and r / scale (both exact, one correctly rounded division)
  // is the double nearest the decimal, which is what strtod returns.
  if (Math.abs(y) < 2 ** 40) {
    const f = y - Math.floor(y);
    if (Math.abs(f - 0.5) > Math.abs(y) * 2 ** -50 + 2 ** -60) return Math.round(y) / scale;
  }
  return pyRoundSlow(x, digits);
}

/** The careful path: exact ties (x = odd / 2^(digits+1)) to even, everything else by toFixed. */
function pyRoundSlow(x: number, digits: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e15) return x;
  const scale = POW10[digits]!;
  // x·10^digits is exactly k + ½ iff x·2^(digits+1) is an odd integer (then 5^digits divides the
  // numerator); the multiplication by a power of two is exact.
  const t = x * 2 ** (digits + 1);
  let out: number;
  if (Number.isInteger(t) && t % 2 !== 0) {
    const lo = (t * 5 ** digits - 1) / 2; // the integer just below x·10^digits
    out = (lo % 2 === 0 ? lo : lo + 1) / scale;
  } else {
    // Not a tie: toFixed rounds the exact value correctly (ECMA-262 Number.prototype.toFixed),
    // and Number() reads the decimal back correctly rounded, as strtod does.
    out = Number(x.toFixed(digits));
  }
  return out === 0 && (x < 0 || Object.is(x, -0)) ? -0 : out;
}
