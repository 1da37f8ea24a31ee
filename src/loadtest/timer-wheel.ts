// Think-time timers for thousands of users without a timer object per wait.
//
// With Node's setTimeout, 20,000 users waiting 1–5 s keep ~20,000 Timeout objects alive for seconds
// each: they survive young-generation collections, get promoted and die in the old generation,
// and the collector then pauses the load tester for 10–20 ms every few seconds — time during which
// arriving responses wait to be timed. Here a waiting user is linked into a slot of a 1-ms wheel
// (an intrusive list: nothing is allocated per wait) and one clock timer fires for the nearest
// occupied slot. A wait fires at the first millisecond tick at or after its due time, as
// setTimeout does.
import type { Clock } from './runner.js';

export interface WheelEntry {
  wheelNext: WheelEntry | null;
  /** absolute due time, whole milliseconds of the clock */
  wheelDue: number;
}

const SIZE = 8192; // slots of 1 ms: waits up to 8.192 s land in distinct slots; longer ones go round
const MASK = SIZE - 1;

export class TimerWheel<T extends WheelEntry> {
  private readonly slots: (WheelEntry | null)[] = new Array<WheelEntry | null>(SIZE).fill(null);
  private count = 0;
  /** the next millisecond whose slot has not been processed */
  private cursor: number;
  private driver: unknown = null;
  private driverAt = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly fire: (entry: T) => void,
  ) {
    this.cursor = Math.floor(clock.now());
  }

  get size(): number {
    return this.count;
  }

  /** Calls fire(entry) once, `delayMs` from now (not before). */
  add(entry: T, delayMs: number): void {
    const due = Math.max(this.cursor, Math.ceil(this.clock.now() + delayMs));
    entry.wheelDue = due;
    const i = due & MASK;
    entry.wheelNext = this.slots[i]!;
    this.slots[i] = entry;
    this.count++;
    if (due < this.driverAt) this.schedule(due);
  }

  /** Forgets every waiting entry. */
  clear(): void {
    this.slots.fill(null);
    this.count = 0;
    if (this.driver !== null) this.clock.clearTimeout(this.driver);
    this.driver = null;
    this.driverAt = Infinity;
  }

  private schedule(due: number): void {
    if (this.driver !== null) this.clock.clearTimeout(this.driver);
    this.driverAt = due;
    this.driver = this.clock.setTimeout(this.run, Math.max(0, due - this.clock.now()));
  }

  private readonly run = (): void => {
    this.driver = null;
    this.driverAt = Infinity;
    const now = Math.floor(this.clock.now());
    for (; this.cursor <= now; this.cursor++) {
      const i = this.cursor & MASK;
      let e = this.slots[i]!;
      if (e === null) continue;
      this.slots[i] = null;
      let later: WheelEntry | null = null; // entries of a later round of the wheel
      while (e !== null) {
        const next: WheelEntry | null = e.wheelNext;
        if (e.wheelDue <= now) {
          e.wheelNext = null;
          this.count--;
          this.fire(e as T);
        } else {
          e.wheelNext = later;
          later = e;
        }
        e = next!;
      }
      if (later !== null) {
        let tail = later;
        while (tail.wheelNext !== null) tail = tail.wheelNext;
        tail.wheelNext = this.slots[i]!;
        this.slots[i] = later;
      }
    }
    if (this.count > 0) {
      // The nearest occupied slot; its entries may belong to a later round, then this runs again.
      let at = this.cursor;
      while (this.slots[at & MASK] === null) at++;
      if (at < this.driverAt) this.schedule(at);
    }
  };
}
