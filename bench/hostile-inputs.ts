// Hostile input shapes, each about 1 MB (UTF-16 units): the workload of bench/engine.ts, which
// reports the time per MB of each against normal text, and what test/engine's robustness tests
// feed the engines (through test/engine/hostile-inputs.ts). Here, not in test/: a benchmark never
// imports from test/ (docs/architecture.md).

/** A small seeded PRNG (xorshift32), so random shapes are reproducible; test/engine/helpers.ts re-exports it. */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

export const MB = 1 << 20;

const repeat = (unit: string, units: number): string => unit.repeat(Math.ceil(units / unit.length)).slice(0, units);

function randomFrom(chars: string, units: number, seed: number): string {
  const r = xorshift(seed);
  const parts: string[] = [];
  for (let k = 0; k < units; k++) parts.push(chars[Math.floor(r() * chars.length)]!);
  return parts.join('');
}

/** Each shape makes a text of `size` UTF-16 units (about; the default is 1 MB). */
export const HOSTILE: readonly (readonly [name: string, make: (size?: number) => string])[] = [
  ['random punctuation', (size = MB) => randomFrom('.,;:!?()[]{}`\'"@#$^&*+-|=~_/\\<>', size, 1)],
  ['parentheses', (size = MB) => repeat('(', size / 2) + repeat(')', size / 2)],
  ['emoticon fragments', (size = MB) => repeat(': ( : - ) ; ^ ) ( ! ) x D 8 - ', size)],
  ['one word', (size = MB) => repeat('a', size)],
  ['only "!"', (size = MB) => repeat('!', size)],
  ['abbreviation then ".)" pairs', (size = MB) => repeat('a.', size / 2) + repeat('.)', size / 2)],
  ['periods and spaces', (size = MB) => repeat('. ', size)],
  ['lone surrogates', (size = MB) => repeat('\ud800', size)],
  ['NUL', (size = MB) => repeat('\u0000', size)],
  ['newlines', (size = MB) => repeat('\r\n\n', size)],
  ['modifier chain', (size = MB) => repeat('very ', size) + 'good'],
  ['negations and contractions', (size = MB) => repeat("not n't isn't ", size)],
  ['colon, whitespace, dash', (size = MB) => repeat(':   -\u00a0\u2000x ', size)],
];
