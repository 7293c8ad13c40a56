/**
 * The model checker's set of visited states: 64-bit fingerprints in an open-addressing table of
 * two 32-bit lanes per slot, linear probing, grown by a quarter when 4/5 full (so the load stays
 * between 0.64 and 0.8).
 *
 * Written here rather than taken from a library: a JS `Set` stops at 2^24 entries and costs about
 * 100 bytes an entry; this table costs 8 bytes a slot (10–15 bytes a state, depending on where the
 * load stands between growths) and never allocates per entry. Any capacity will do: the home slot
 * is the fingerprint's high bits scaled to the capacity, not a mask.
 *
 * The all-zero fingerprint marks an empty slot, so a real zero fingerprint is stored as (1, 0): one
 * more pair of fingerprints that collide, counted in {@link collisionProbability}.
 */
export class SeenSet {
  private slots: Uint32Array;
  private cap: number;
  private count = 0;
  private limit: number;

  /** @param capacity initial number of slots (at least 1024). */
  constructor(capacity = 1 << 16) {
    const c = Math.max(1024, Math.ceil(capacity));
    this.slots = new Uint32Array(2 * c);
    this.cap = c;
    this.limit = Math.floor(c * 0.8);
  }

  /** The home slot of a fingerprint: its mixed high bits scaled to the capacity. */
  private home(lo: number, hi: number): number {
    return Math.floor(((Math.imul(lo ^ hi, 0x9e3779b1) >>> 0) / 4294967296) * this.cap);
  }

  /** How many fingerprints the set holds. */
  get size(): number {
    return this.count;
  }

  /** Bytes the table takes. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** Adds a fingerprint; returns whether it was new. */
  add(lo: number, hi: number): boolean {
    if ((lo | hi) === 0) lo = 1;
    const slots = this.slots;
    const cap = this.cap;
    let i = this.home(lo, hi);
    for (;;) {
      const a = slots[2 * i] as number;
      const b = slots[2 * i + 1] as number;
      if ((a | b) === 0) {
        slots[2 * i] = lo;
        slots[2 * i + 1] = hi;
        if (++this.count > this.limit) this.grow();
        return true;
      }
      if (a === lo >>> 0 && b === hi >>> 0) return false;
      if (++i === cap) i = 0;
    }
  }

  /** Whether the set holds a fingerprint. */
  has(lo: number, hi: number): boolean {
    if ((lo | hi) === 0) lo = 1;
    const slots = this.slots;
    let i = this.home(lo, hi);
    for (;;) {
      const a = slots[2 * i] as number;
      const b = slots[2 * i + 1] as number;
      if ((a | b) === 0) return false;
      if (a === lo >>> 0 && b === hi >>> 0) return true;
      if (++i === this.cap) i = 0;
    }
  }

  private grow(): void {
    const old = this.slots;
    // Doubling while the table is small (rehashing is most of its cost there), then by a quarter
    // (the bytes per state of a large search).
    const c = this.cap < GROW_SLOWLY_FROM ? this.cap * 2 : Math.ceil(this.cap * 1.25);
    this.slots = new Uint32Array(2 * c);
    this.cap = c;
    this.limit = Math.floor(c * 0.8);
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) {
      const a = old[i] as number;
      const b = old[i + 1] as number;
      if ((a | b) !== 0) this.add(a, b);
    }
  }
}

/** The capacity (slots) from which the table grows by a quarter instead of doubling. */
const GROW_SLOWLY_FROM = 1 << 20;

/**
 * The probability that two of the distinct states explored had the same fingerprint, so that one
 * was wrongly taken for seen: TLC's "optimistic" estimate for `states` fingerprints drawn while
 * `transitions` successors were looked up, `states × (transitions − states) / 2^64`.
 */
export function collisionProbability(states: number, transitions: number): number {
  return (states * Math.max(0, transitions - states)) / 2 ** 64;
}
