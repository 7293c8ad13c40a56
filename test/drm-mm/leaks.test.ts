import { describe, expect, it } from 'vitest';
import { drmMmLeaks } from '../../src/drm-mm/leaks.js';
import { Kernel } from '../../src/kernel/Kernel.js';

describe('drmMmLeaks', () => {
  it('names every live allocator that still has nodes, with its nodes (scanned blocks too)', () => {
    const k = new Kernel();
    k.call({ type: 'drm_mm_init', mm: 'vram', start: '0', size: '4096' });
    k.call({ type: 'drm_mm_init', mm: 'gtt', start: '0', size: '4096' });
    k.call({ type: 'drm_mm_insert_node', mm: 'vram', node: 'a', size: '1024' });
    k.call({ type: 'drm_mm_insert_node', mm: 'vram', node: 'b', size: '1024' });
    k.call({ type: 'drm_mm_insert_node', mm: 'gtt', node: 'c', size: '1024' });
    k.call({ type: 'drm_mm_remove_node', node: 'c' });
    k.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'vram', size: '4096', alignment: '0', color: '0', range_start: '0', range_end: '4096', mode: 'best' });
    k.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'b' });
    const l = drmMmLeaks(k.world);
    expect(l.map((v) => [v.kind, v.objects])).toEqual([['leak', ['vram', 'a', 'b']]]);
    expect(l[0]?.message).toContain('"vram" is not clean: 2 nodes still allocated (a, b)');
  });

  it('names nothing once the allocator is taken down', () => {
    const k = new Kernel();
    k.call({ type: 'drm_mm_init', mm: 'vram', start: '0', size: '4096' });
    k.call({ type: 'drm_mm_insert_node', mm: 'vram', node: 'a', size: '1024' });
    expect(drmMmLeaks(k.world)).toHaveLength(1);
    k.call({ type: 'drm_mm_takedown', mm: 'vram' });
    expect(drmMmLeaks(k.world)).toEqual([]);
  });
});
