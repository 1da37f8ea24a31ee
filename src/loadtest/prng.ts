// A small seeded pseudo-random generator, so that a run's task choices and think times can be
// replayed (--seed) and tests are deterministic. sfc32 (Chris Doty-Humphrey's Small Fast Counter),
// seeded through splitmix32; 53-bit doubles from two outputs, like Math.random's resolution.
import { randomInt } from 'node:crypto';

export interface Random {
  /** A double uniformly distributed in [0, 1). */
  next(): number;
  /** The seed it was made from (recorded in reports so a run can be repeated). */
  readonly seed: number;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRandom(seed: number = randomInt(0, 2 ** 32)): Random {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new RangeError(`seed must be an integer in [0, 2^32): ${seed}`);
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32(); // let the counter mix the seed in
  return {
    seed,
    next: () => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992,
  };
}
