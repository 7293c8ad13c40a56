import { describe, expect, it } from 'vitest';
import { Allocator } from '../../src/api/drmMm.js';
import { type ColorAdjustFn, registerColorAdjust } from '../../src/drm-mm/colorAdjust.js';
import { DrmstateError } from '../../src/errors.js';
import { fingerprint } from '../../src/kernel/fingerprint.js';
import { Kernel } from '../../src/kernel/Kernel.js';
import { replay } from '../../src/kernel/replay.js';

/** The kernel selftest's separate_adjacent_colors(), with a gap of 8, written as a function. */
const separateBy8: ColorAdjustFn = (before, after, color, start, end) => [
  before.allocated && before.color !== color ? start + 8n : start,
  after !== undefined && after.color !== color ? end - 8n : end,
];

function placements(colorAdjust: ConstructorParameters<never> | undefined | object): bigint[] {
  const k = new Kernel();
  const a = Allocator.new(k, { start: 0n, size: 4096n, colorAdjust: colorAdjust as never });
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

describe('drm_mm_init with a colour-adjust function', () => {
  it('places nodes exactly as the { gap } callback it reimplements', () => {
    expect(placements(separateBy8)).toEqual(placements({ gap: 8n }));
    expect(placements(separateBy8)).not.toEqual(placements(undefined));
  });

  it('logs the function by name, and the log replays while the function is registered', () => {
    const k = new Kernel();
    const a = Allocator.new(k, { start: 0n, size: 4096n, colorAdjust: separateBy8 });
    expect(a.ok).toBe(true);
    expect(k.entries[0]?.event).toMatchObject({ type: 'drm_mm_init', color_adjust: { fn: 'separateBy8' } });
    if (a.ok) a.value.insertNode(100n, { color: 1n, mode: 'low' });
    const r = replay(k.entries);
    expect(r.ok).toBe(true);
    expect(fingerprint(r.world)).toBe(k.fingerprint);
  });

  it('throws UNKNOWN_OBJECT naming the field for a function never registered, and changes nothing', () => {
    const k = new Kernel();
    const before = k.fingerprint;
    expect(() => k.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '4096', color_adjust: { fn: 'nobody' } })).toThrow(/field "color_adjust.fn"/);
    expect(k.fingerprint).toBe(before);
    expect(k.entries).toHaveLength(0);
  });

  it('refuses to register a different function under a name already taken', () => {
    const f: ColorAdjustFn = (_b, _a, _c, s, e) => [s, e];
    registerColorAdjust('taken', f);
    registerColorAdjust('taken', f);
    expect(() => registerColorAdjust('taken', (_b, _a, _c, s, e) => [s, e])).toThrow(DrmstateError);
  });
});
