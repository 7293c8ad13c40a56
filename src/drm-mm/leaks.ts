import { type Violation, violation } from '../world/Violation.js';
import type { World } from '../world/World.js';

/**
 * What drm_mm leaves alive in a world: every allocator not taken down that still has nodes, as a
 * `leak` violation naming the allocator and its nodes.
 *
 * KERNEL: drm_mm_takedown() (drivers/gpu/drm/drm_mm.c) WARNs that the memory manager is not clean
 * when a node is still allocated, and lists the nodes it leaks (show_leaks); this is that view,
 * taken before the takedown. An allocator with no nodes leaks nothing: drm_mm owns no memory of its
 * own. Blocks held by an eviction scan are unlinked but still the allocator's nodes, so they count.
 *
 * @example
 *   drmMmLeaks(world); // [{ kind: 'leak', message: 'drm_mm "vram" is not clean: 1 node still allocated (a)', objects: ['vram', 'a'] }]
 */
export function drmMmLeaks(world: World): readonly Violation[] {
  const s = world.drmMm;
  const byMm = new Map<string, string[]>();
  for (const [name, n] of s.nodes.sortedEntries()) {
    if (n.state !== 'inserted' && n.state !== 'scanned') continue;
    const m = s.mms.get(n.mm);
    // INVARIANT: a node is inserted or scanned only in the drm_mm_init() generation it was placed in.
    if (m === undefined || !m.live || n.gen !== m.gen) continue;
    let list = byMm.get(n.mm);
    if (list === undefined) byMm.set(n.mm, (list = []));
    list.push(name);
  }
  const out: Violation[] = [];
  for (const [mm, nodes] of [...byMm].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const count = `${nodes.length} node${nodes.length === 1 ? '' : 's'}`;
    out.push(
      violation(
        'leak',
        `drm_mm ${JSON.stringify(mm)} is not clean: ${count} still allocated (${nodes.join(', ')}); drm_mm_takedown would WARN and list them`,
        [mm, ...nodes],
      ),
    );
  }
  return out;
}
