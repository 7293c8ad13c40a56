import { type Violation, violation } from '../world/Violation.js';
import type { World } from '../world/World.js';

/**
 * What drm leaves alive in a world: DRM devices not released, open files, GEM objects not freed,
 * registrations not dropped, Devres guards still held, as `leak` violations naming them.
 *
 * @example
 *   drmLeaks(world); // [{ kind: 'leak', message: 'DRM device "drm0" still referenced (refcount 1)', objects: ['drm0'] }]
 */
export function drmLeaks(world: World): readonly Violation[] {
  const s = world.drm;
  const out: Violation[] = [];
  for (const [n, d] of s.drms.sortedEntries()) if (d.state !== 'released') out.push(violation('leak', `DRM device ${JSON.stringify(n)} still referenced (refcount ${d.refcount})`, [n]));
  for (const [n, f] of s.files.sortedEntries()) if (f.state === 'open') out.push(violation('leak', `DRM file ${JSON.stringify(n)} still open`, [n]));
  for (const [n, o] of s.objects.sortedEntries())
    if (o.state === 'alive') out.push(violation('leak', `GEM object ${JSON.stringify(n)} still alive (refcount ${o.refcount}, ${o.handleCount} handles)`, [n]));
  for (const [n, r] of s.regs.sortedEntries()) if (r.state === 'registered') out.push(violation('leak', `registration ${JSON.stringify(n)} never dropped`, [n]));
  for (const [n, t] of s.tasks.sortedEntries())
    if (t.guards.length > 0) out.push(violation('leak', `task ${JSON.stringify(n)} still holds a Devres guard on ${t.guards.map((g) => g.on).join(', ')}`, [n]));
  return out;
}
