import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drmMmProtocol, listHoles } from '../../src/drm-mm/protocol.js';
import type { Event } from '../../src/world/Event.js';
import type { World } from '../../src/world/World.js';
import { makeWorkload } from '../bench/drmMmWorkload.js';
import { MutableDrmMm, toMutableCall } from './mutableDrmMm.js';

function emptyWorld(): World {
  return Object.freeze({ [drmMmProtocol.key]: drmMmProtocol.initial() }) as unknown as World;
}

/** Runs events through both; expects equal answers and equal hole stacks after every call. */
function agree(events: readonly Event[], holesEvery = 1): void {
  const mm = new MutableDrmMm();
  let w = emptyWorld();
  events.forEach((e, i) => {
    const r = drmMmProtocol.apply(w, drmMmProtocol.decode(e));
    w = r.world;
    const s = mm.call(toMutableCall(e));
    const want = e.type !== 'drm_mm_insert_node_in_range' ? (r.outcome.ok ? 0 : -2) : r.outcome.ok ? Number(r.outcome.start) : r.outcome.errno === 'ENOSPC' ? -1 : -2;
    expect(s, `call ${i}: ${JSON.stringify(e)}`).toBe(want);
    if (i % holesEvery === 0) expect(mm.holes()).toEqual(listHoles(w, 'm').map(([a, b]) => [Number(a), Number(b)]));
  });
}

describe('MutableDrmMm (the workload benchmark baseline)', () => {
  it('answers the seeded workload with the persistent protocol`s starts and hole stacks', () => {
    const w = makeWorkload({ rangeSize: 1n << 30n, live: 500, mixed: 1500, seed: 3 });
    agree([...w.build, ...w.mixed], 7);
  });

  it('agrees with the protocol on random ranges, alignments (non-powers of two too), modes and once', () => {
    const call = fc.oneof(
      fc.record({
        ins: fc.constant(true),
        node: fc.integer({ min: 0, max: 11 }),
        size: fc.integer({ min: 0, max: 300 }),
        alignment: fc.constantFrom(0, 1, 2, 3, 8, 12, 64),
        a: fc.integer({ min: 0, max: 1100 }),
        b: fc.integer({ min: 0, max: 1100 }),
        mode: fc.constantFrom('best', 'low', 'high', 'evict'),
        once: fc.boolean(),
      }),
      fc.record({ ins: fc.constant(false), node: fc.integer({ min: 0, max: 11 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), fc.array(call, { maxLength: 60 }), (start, calls) => {
        const events: Event[] = [{ type: 'drm_mm_init', mm: 'm', start: String(start), size: '1000' }];
        const live = new Set<number>();
        for (const c of calls) {
          if (c.ins) {
            if (live.has(c.node)) continue;
            const [lo, hi] = c.a <= c.b ? [c.a, c.b] : [c.b, c.a];
            events.push({
              type: 'drm_mm_insert_node_in_range',
              mm: 'm',
              node: `n${c.node}`,
              size: String(c.size),
              alignment: String(c.alignment),
              color: '0',
              range_start: String(lo),
              range_end: String(hi),
              mode: c.mode,
              once: c.once,
            });
            live.add(c.node);
          } else if (live.has(c.node)) {
            events.push({ type: 'drm_mm_remove_node', node: `n${c.node}` });
            live.delete(c.node);
          }
        }
        // Replay to learn which inserts failed, so that only linked nodes are removed.
        const kept: Event[] = [];
        let w = emptyWorld();
        for (const e of events) {
          if (e.type === 'drm_mm_remove_node' && drmMmProtocol.apply(w, drmMmProtocol.decode(e)).outcome.ok === false) continue;
          const r = drmMmProtocol.apply(w, drmMmProtocol.decode(e));
          w = r.world;
          kept.push(e);
        }
        agree(kept);
      }),
      { numRuns: 300 },
    );
  });
});
