/**
 * The parallel checker's set of visited states: 64-bit fingerprints in an open-addressing table of
 * two 32-bit lanes per slot over a `SharedArrayBuffer`, which every worker inserts into at once.
 *
 * A slot is claimed by `Atomics.compareExchange` of its `lo` lane from 0 to the key's `lo`; the
 * claimer then stores the `hi` lane. A reader that finds its own `lo` in a slot whose `hi` is still
 * 0 waits for it (the claimer is between its two writes), so a half-written slot is never taken
 * for a different key. Both lanes of a stored key are therefore non-zero: a zero lane is stored as
 * 1 (one more pair of fingerprints that collide, as {@link SeenSet} does for the all-zero key).
 *
 * The table does not grow by itself: several threads write to it. The search that owns it counts
 * its keys (every new key gets a state id) and has it rehashed into a bigger one while no worker
 * inserts ({@link SharedSeenSet.rehashInto}). Over a plain `ArrayBuffer` the same class is a
 * private table (the replicated first levels of the parallel search use one per worker).
 */
export class SharedSeenSet {
  readonly slots: Uint32Array<ArrayBufferLike>;
  private readonly mask: number;

  /** @param buffer 8 bytes a slot, a power of two of slots ({@link SharedSeenSet.bufferFor}). */
  constructor(readonly buffer: SharedArrayBuffer | ArrayBuffer) {
    this.slots = new Uint32Array(buffer);
    this.mask = this.slots.length / 2 - 1;
  }

  /** A zeroed buffer for a table of `slots` slots (a power of two). */
  static bufferFor(slots: number, shared: boolean): SharedArrayBuffer | ArrayBuffer {
    return shared ? new SharedArrayBuffer(8 * slots) : new ArrayBuffer(8 * slots);
  }

  /** How many slots the table has. */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Bytes the table takes. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** Adds a fingerprint; returns whether it was new (exactly one of racing adders of a key sees true). */
  add(lo: number, hi: number): boolean {
    return this.insert(lo, hi) >= 0;
  }

  /**
   * Adds a fingerprint; returns its slot when it was new, else `-1 - slot` of the slot that holds it
   * (for a table of values by slot beside this one, as the parallel search keeps state ids).
   */
  insert(lo: number, hi: number): number {
    lo = lo >>> 0 || 1;
    hi = hi >>> 0 || 1;
    const slots = this.slots;
    const mask = this.mask;
    let i = (Math.imul(lo ^ hi, 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      const j = 2 * i;
      let a = Atomics.load(slots, j);
      if (a === 0) {
        a = Atomics.compareExchange(slots, j, 0, lo);
        if (a === 0) {
          Atomics.store(slots, j + 1, hi);
          return i;
        }
      }
      if (a === lo) {
        let b = Atomics.load(slots, j + 1);
        // The slot is claimed but its hi lane not yet written: the claimer is between its stores.
        while (b === 0) b = Atomics.load(slots, j + 1);
        if (b === hi) return -1 - i;
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * Copies every key into `to` (call it while nobody adds to either table), and with `values` (by
   * slot of this table) and `toValues` (by slot of `to`), each key's value.
   */
  rehashInto(to: SharedSeenSet, values?: Uint32Array<ArrayBufferLike>, toValues?: Uint32Array<ArrayBufferLike>): SharedSeenSet {
    const s = this.slots;
    for (let j = 0; j < s.length; j += 2) {
      const a = s[j] as number;
      if (a === 0) continue;
      const at = to.insert(a, s[j + 1] as number);
      if (values !== undefined && toValues !== undefined && at >= 0) toValues[at] = values[j / 2] as number;
    }
    return to;
  }
}
