import { describe, expect, it } from 'vitest';
import { ParentLinks, arrayLinks } from '../../src/checker/ParentLinks.js';

describe('ParentLinks', () => {
  it('gives back every parent and action across pages', () => {
    const l = new ParentLinks();
    const n = 200_000;
    for (let id = 1; id < n; id++) l.set(id, id - 1, (id % 7) * 65536 + (id % 3));
    for (const id of [1, 2, 65535, 65536, 65537, 131072, n - 1]) {
      expect(l.parent(id)).toBe(id - 1);
      expect(l.action(id)).toBe((id % 7) * 65536 + (id % 3));
    }
    // Four pages of 5 bytes a slot, and 21 distinct actions of 8 bytes.
    expect(l.bytes).toBe(4 * 65536 * 5 + 21 * 8);
  });

  it('keeps actions past the 255th distinct one exactly', () => {
    const l = new ParentLinks();
    for (let id = 1; id <= 1000; id++) l.set(id, 0, id * 65536 + 1);
    for (let id = 1; id <= 1000; id++) expect(l.action(id)).toBe(id * 65536 + 1);
    expect(l.bytes).toBe(65536 * 5 + 255 * 8 + (1000 - 255) * 16);
  });

  it('reads plain arrays the same way', () => {
    const a = arrayLinks(new Uint32Array([0, 0, 1]), new Uint32Array([0, 5, 6]), 24);
    expect([a.parent(2), a.action(2), a.action(1), a.bytes]).toEqual([1, 6, 5, 24]);
  });
});
