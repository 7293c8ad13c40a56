import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drmMmProtocol } from '../../src/drm-mm/protocol.js';
import { Misuse } from '../../src/world/Misuse.js';
import { stackHashOf } from '../../src/drm-mm/mm.js';
import { hashToHex } from '../../src/world/hash.js';
import { EditSession } from '../../src/world/HashedMap.js';
import { type World, editableWorld } from '../../src/world/World.js';
import { U64_MAX_S, emptyWorld } from './helpers.js';

/**
 * Random call sequences, misuse included, over a few names: the model never crashes, refused
 * calls change nothing, invariants always hold, and snapshots always round-trip with their hash.
 */

const MMS = ['m0', 'm1'];
const NODES = ['a', 'b', 'c', 'd', 'e', 'f'];
const SCANS = ['s0', 's1'];
const MODES = ['best', 'low', 'high', 'evict'];

const small = fc.integer({ min: 0, max: 40 }).map(String);
const u64ish = fc.oneof(small, fc.constantFrom('0', '1', U64_MAX_S, '18446744073709551600', '4096'));

const event = fc.oneof(
  fc.record({ type: fc.constant('drm_mm_init'), mm: fc.constantFrom(...MMS), start: fc.constantFrom('0', '7', '4096'), size: fc.constantFrom('32', '64', '100') }),
  fc.record({
    type: fc.constant('drm_mm_init'),
    mm: fc.constantFrom(...MMS),
    start: fc.constantFrom('0', '3'),
    size: fc.constantFrom('64'),
    color_adjust: fc.record({ gap: fc.constantFrom('1', '2') }),
  }),
  fc.record({
    type: fc.constant('drm_mm_insert_node_in_range'),
    mm: fc.constantFrom(...MMS),
    node: fc.constantFrom(...NODES),
    size: fc.integer({ min: 0, max: 20 }).map(String),
    alignment: fc.constantFrom('0', '1', '2', '3', '8'),
    color: fc.constantFrom('0', '1'),
    range_start: fc.oneof(fc.constant('0'), small),
    range_end: fc.oneof(fc.constant(U64_MAX_S), small),
    mode: fc.constantFrom(...MODES),
    once: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('drm_mm_reserve_node'),
    mm: fc.constantFrom(...MMS),
    node: fc.constantFrom(...NODES),
    start: u64ish,
    size: fc.integer({ min: 0, max: 20 }).map(String),
    color: fc.constantFrom('0', '1'),
  }),
  fc.record({ type: fc.constant('drm_mm_remove_node'), node: fc.constantFrom(...NODES) }),
  fc.record({ type: fc.constantFrom('drm_mm_holes', 'drm_mm_nodes', 'drm_mm_clean', 'drm_mm_takedown'), mm: fc.constantFrom(...MMS) }),
  fc.record({ type: fc.constant('drm_mm_node_allocated'), node: fc.constantFrom(...NODES) }),
  fc.record({
    type: fc.constant('drm_mm_scan_init_with_range'),
    scan: fc.constantFrom(...SCANS),
    mm: fc.constantFrom(...MMS),
    size: fc.integer({ min: 0, max: 30 }).map(String),
    alignment: fc.constantFrom('0', '4', '3'),
    color: fc.constantFrom('0', '1'),
    range_start: small,
    range_end: fc.constantFrom('40', '64', '100', '5000'),
    mode: fc.constantFrom(...MODES),
  }),
  fc.record({ type: fc.constantFrom('drm_mm_scan_add_block', 'drm_mm_scan_remove_block'), scan: fc.constantFrom(...SCANS), node: fc.constantFrom(...NODES) }),
  fc.record({ type: fc.constant('drm_mm_scan_color_evict'), scan: fc.constantFrom(...SCANS) }),
);

function hex(w: World): string {
  return hashToHex(drmMmProtocol.hash(w.drmMm));
}

/** The start every sequence runs from: two allocators, the second with a colour gap. */
const START = [
  { type: 'drm_mm_init', mm: 'm0', start: '0', size: '64' },
  { type: 'drm_mm_init', mm: 'm1', start: '8', size: '64', color_adjust: { gap: '1' } },
];

/** One call: its outcome as JSON (or the misuse code it threw) and the world after it. */
function step(world: World, e: unknown): { world: World; answer: string } {
  try {
    const r = drmMmProtocol.apply(world, drmMmProtocol.decode(e as never));
    return { world: r.world, answer: JSON.stringify(r.outcome, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) };
  } catch (err) {
    expect(err).toBeInstanceOf(Misuse);
    return { world, answer: `throws ${(err as Misuse).code}` };
  }
}

function snapshotOf(w: World): string {
  return JSON.stringify(drmMmProtocol.toSnapshot(w.drmMm));
}

describe('drmMmProtocol.apply on random call sequences', () => {
  it('answers the same in an edit session, whose in-place trees change no world kept outside it', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 80 }), fc.array(event, { maxLength: 30 }), (events, more) => {
        let base = emptyWorld();
        for (const e of START) base = step(base, e).world;
        const baseHex = hex(base);
        const baseSnap = snapshotOf(base);
        // Persistent: every world kept.
        const kept: World[] = [];
        const answers: string[] = [];
        let w = base;
        for (const e of events) {
          const r = step(w, e);
          answers.push(r.answer);
          w = r.world;
          kept.push(w);
        }
        const keptHex = kept.map(hex);
        // In an edit session: only the last world kept.
        const session = new EditSession();
        let v = editableWorld(base, session);
        for (let i = 0; i < events.length; i++) {
          const r = step(v, events[i]);
          expect(r.answer, JSON.stringify(events[i])).toBe(answers[i]);
          v = r.world;
          expect(hex(v)).toBe(keptHex[i]);
        }
        session.close();
        expect(snapshotOf(v)).toBe(snapshotOf(w));
        expect(drmMmProtocol.invariants.filter((i) => !i.holds(v)).map((i) => i.name)).toEqual([]);
        expect(hex(base)).toBe(baseHex);
        expect(snapshotOf(base)).toBe(baseSnap);
        expect(kept.map(hex)).toEqual(keptHex);
        // The closed session's last world is persistent again: neither a persistent call nor a
        // second session changes it.
        const lastHex = hex(v);
        const lastSnap = snapshotOf(v);
        const second = new EditSession();
        let u = editableWorld(v, second);
        let x = v;
        for (const e of more) {
          const a = step(u, e);
          const b = step(x, e);
          expect(a.answer).toBe(b.answer);
          u = a.world;
          x = b.world;
          expect(hex(u)).toBe(hex(x));
        }
        second.close();
        expect(hex(v)).toBe(lastHex);
        expect(snapshotOf(v)).toBe(lastSnap);
        expect(kept.map(hex)).toEqual(keptHex);
      }),
      { numRuns: 400 },
    );
  });

  it('never crashes, refuses without change, keeps every invariant and round-trips snapshots', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 80 }), (events) => {
        let world = emptyWorld();
        const start = [
          { type: 'drm_mm_init', mm: 'm0', start: '0', size: '64' },
          { type: 'drm_mm_init', mm: 'm1', start: '8', size: '64', color_adjust: { gap: '1' } },
        ];
        for (const e of [...start, ...events]) {
          let r;
          try {
            r = drmMmProtocol.apply(world, drmMmProtocol.decode(e as never));
          } catch (err) {
            expect(err).toBeInstanceOf(Misuse);
            expect((err as Misuse).code).toBe('UNKNOWN_OBJECT');
            continue;
          }
          if (!r.outcome.ok && r.outcome.errno === undefined) {
            expect(r.outcome.violations.length).toBeGreaterThan(0);
            expect(r.world).toBe(world);
          }
          world = r.world;
          const broken = drmMmProtocol.invariants.filter((i) => !i.holds(world)).map((i) => i.name);
          expect(broken, JSON.stringify(e)).toEqual([]);
        }
        const snap = drmMmProtocol.toSnapshot(world.drmMm);
        const back = drmMmProtocol.fromSnapshot(JSON.parse(JSON.stringify(snap)));
        expect(hashToHex(drmMmProtocol.hash(back))).toBe(hex(world));
        expect(drmMmProtocol.toSnapshot(back)).toEqual(snap);
        for (const [, mm] of world.drmMm.mms.entries()) expect(mm.stackHash).toEqual(stackHashOf(mm.stack));
      }),
      { numRuns: 1500 },
    );
  });
});
