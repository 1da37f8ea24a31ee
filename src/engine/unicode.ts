/**
 * Python string semantics that TextBlob relies on and JavaScript does not share.
 */

/**
 * Python's `str.isspace()` (CPython 3.11, Unicode 14), which is also what `\s` matches in a `re`
 * str pattern and what `str.split()` splits on. Unlike JavaScript's `\s` it includes the
 * information separators U+001C–U+001F and NEL U+0085, and excludes U+FEFF.
 */
export function isPySpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/**
 * Python's `len(s)`: code points, where a well-formed surrogate pair is one code point and a lone
 * surrogate is one too (as in a Python str decoded from JSON).
 */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Python's `str.lower()` for our purposes: JavaScript's toLowerCase, skipped when already lower ASCII. */
export function pyLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || (c >= 0x41 && c <= 0x5a)) return s.toLowerCase();
  }
  return s;
}

/**
 * Whether text[s, s + key.length) equals `key` once ASCII capitals are lower-cased. For the
 * lexicons' span look-ups, whose keys are lower-case and whose spans were checked to be ASCII.
 */
export function asciiLowerEquals(text: string, s: number, key: string): boolean {
  for (let k = 0; k < key.length; k++) {
    let c = text.charCodeAt(s + k);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== key.charCodeAt(k)) return false;
  }
  return true;
}
