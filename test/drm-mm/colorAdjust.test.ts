import { describe, expect, it } from 'vitest';
import { Allocator } from '../../src/api/drmMm.js';
import { type ColorAdjustFn, colorAdjustName, registerColorAdjust } from '../../src/drm-mm/colorAdjust.js';
import { DrmstateError } from '../../src/errors.js';
import { apply, initialWorld } from '../../src/kernel/apply.js';
import { fingerprint } from '../../src/kernel/fingerprint.js';
import { Kernel } from '../../src/kernel/Kernel.js';
import { replay } from '../../src/kernel/replay.js';
import type { World } from '../../src/world/World.js';

/** The kernel selftest's separate_adjacent_colors(), with a gap of 8, written as a function. */
const separateBy8: ColorAdjustFn = (before, after, color, start, end) => [
  before.allocated && before.color !== color ? start + 8n : start,
  after !== undefined && after.color !== color ? end - 8n : end,
];

/** Two different functions with the same name, `adjust`. */
function makeAdjust(gap: bigint): ColorAdjustFn {
  return function adjust(before, after, color, start, end) {
    return [before.allocated && before.color !== color ? start + gap : start, after !== undefined && after.color !== color ? end - gap : end];
  };
}

function placements(kernel: Kernel, colorAdjust: ColorAdjustFn | { gap: bigint } | undefined): bigint[] {
  const a = Allocator.new(kernel, { start: 0n, size: 4096n, ...(colorAdjust === undefined ? {} : { colorAdjust }) });
  if (!a.ok) throw new Error('init failed');
  const out: bigint[] = [];
  for (const [color, mode] of [
    [1n, 'low'],
    [2n, 'low'],
    [2n, 'high'],
    [3n, 'high'],
    [1n, 'best'],
  ] as const) {
    const n = a.value.insertNode(100n, { color, mode });
    if (n.ok) out.push(n.value.start);
  }
  return out;
}

describe('registerColorAdjust', () => {
  it('places nodes exactly as the { gap } callback it reimplements', () => {
    const k = new Kernel({ world: registerColorAdjust(initialWorld(), separateBy8) });
    expect(placements(k, separateBy8)).toEqual(placements(new Kernel(), { gap: 8n }));
    expect(placements(new Kernel(), { gap: 8n })).not.toEqual(placements(new Kernel(), undefined));
  });

  it('gives two different functions of the same name two names, and each allocator uses its own', () => {
    const four = makeAdjust(4n);
    const sixteen = makeAdjust(16n);
    let world: World = registerColorAdjust(initialWorld(), four);
    world = registerColorAdjust(world, sixteen);
    expect(colorAdjustName(world, four)).toBe('adjust');
    expect(colorAdjustName(world, sixteen)).toBe('adjust#2');
    // Registering a function again keeps its name and the world.
    expect(registerColorAdjust(world, four)).toBe(world);
    const k = new Kernel({ world });
    expect(placements(k, four)).toEqual(placements(new Kernel(), { gap: 4n }));
    expect(placements(k, sixteen)).toEqual(placements(new Kernel(), { gap: 16n }));
    expect(k.entries.filter((e) => e.event.type === 'drm_mm_init').map((e) => e.event.color_adjust)).toEqual([{ fn: 'adjust' }, { fn: 'adjust#2' }]);
  });

  it('names anonymous functions color_adjust, color_adjust#2, …', () => {
    const fns: ColorAdjustFn[] = [(_b, _a, _c, s, e) => [s, e], (_b, _a, _c, s, e) => [s + 1n, e]];
    const world = fns.reduce<World>((w, f) => registerColorAdjust(w, f), initialWorld());
    // An arrow function in an array has no name of its own.
    expect(fns.map((f) => colorAdjustName(world, f))).toEqual(['color_adjust', 'color_adjust#2']);
  });

  it('leaves the world it was given unchanged, and the fingerprint of the new one the same', () => {
    const w0 = initialWorld();
    const w1 = registerColorAdjust(w0, separateBy8, 'sep');
    expect(colorAdjustName(w0, separateBy8)).toBeUndefined();
    expect(colorAdjustName(w1, separateBy8)).toBe('sep');
    expect(fingerprint(w1)).toBe(fingerprint(w0));
    // Worlds derived from w1 share its table.
    const w2 = apply(w1, { type: 'drm_mm_init', mm: 'm', start: '0', size: '4096', color_adjust: { fn: 'sep' } }).world;
    expect(colorAdjustName(w2, separateBy8)).toBe('sep');
  });

  it('refuses a name a different function already holds', () => {
    const w = registerColorAdjust(initialWorld(), separateBy8, 'taken');
    expect(registerColorAdjust(w, separateBy8, 'taken')).toBe(w);
    expect(() => registerColorAdjust(w, (_b, _a, _c, s, e) => [s, e], 'taken')).toThrow(DrmstateError);
  });
});

describe('drm_mm_init with { fn }', () => {
  it('logs the function by name, and the log replays from a world that registers it', () => {
    const world = registerColorAdjust(initialWorld(), separateBy8);
    const k = new Kernel({ world });
    const a = Allocator.new(k, { start: 0n, size: 4096n, colorAdjust: separateBy8 });
    expect(a.ok).toBe(true);
    expect(k.entries[0]?.event).toMatchObject({ type: 'drm_mm_init', color_adjust: { fn: 'separateBy8' } });
    if (a.ok) a.value.insertNode(100n, { color: 1n, mode: 'low' });
    const r = replay(k.entries, { world: registerColorAdjust(initialWorld(), separateBy8) });
    expect(r.ok).toBe(true);
    expect(fingerprint(r.world)).toBe(k.fingerprint);
    // From a world that does not know the function, the log names something unknown: misuse.
    expect(() => replay(k.entries)).toThrow(/color_adjust\.fn/);
  });

  it('throws UNKNOWN_OBJECT naming the field for a function never registered, and changes nothing', () => {
    const k = new Kernel();
    const before = k.fingerprint;
    expect(() => k.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '4096', color_adjust: { fn: 'nobody' } })).toThrow(/field "color_adjust.fn"/);
    expect(() => Allocator.new(k, { start: 0n, size: 4096n, colorAdjust: separateBy8 })).toThrow(/not registered/);
    expect(k.fingerprint).toBe(before);
    expect(k.entries).toHaveLength(0);
  });
});
