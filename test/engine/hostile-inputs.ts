// Hostile input shapes, each about 1 MB (UTF-16 units): used by robustness.test.ts and by
// bench/engine.ts, which reports the time per MB of each against normal text.
import { xorshift } from './helpers.js';

export const MB = 1 << 20;

const repeat = (unit: string, units: number): string => unit.repeat(Math.ceil(units / unit.length)).slice(0, units);

function randomFrom(chars: string, units: number, seed: number): string {
  const r = xorshift(seed);
  const parts: string[] = [];
  for (let k = 0; k < units; k++) parts.push(chars[Math.floor(r() * chars.length)]!);
  return parts.join('');
}

export const HOSTILE: readonly (readonly [name: string, make: () => string])[] = [
  ['random punctuation', () => randomFrom('.,;:!?()[]{}`\'"@#$^&*+-|=~_/\\<>', MB, 1)],
  ['parentheses', () => repeat('(', MB / 2) + repeat(')', MB / 2)],
  ['emoticon fragments', () => repeat(': ( : - ) ; ^ ) ( ! ) x D 8 - ', MB)],
  ['one 1 MB word', () => repeat('a', MB)],
  ['1 MB of "!"', () => repeat('!', MB)],
  ['abbreviation then ".)" pairs', () => repeat('a.', MB / 2) + repeat('.)', MB / 2)],
  ['periods and spaces', () => repeat('. ', MB)],
  ['lone surrogates', () => repeat('\ud800', MB)],
  ['NUL', () => repeat('\u0000', MB)],
  ['newlines', () => repeat('\r\n\n', MB)],
  ['modifier chain', () => repeat('very ', MB) + 'good'],
  ['negations and contractions', () => repeat("not n't isn't ", MB)],
  ['colon, whitespace, dash', () => repeat(':   -\u00a0\u2000x ', MB)],
];
