import { type Violation, violation } from '../world/Violation.js';
import type { World } from '../world/World.js';

/**
 * What mm leaves alive in a world: every mm whose struct is not freed, as a `leak` naming it
 * (with its mapped VMAs while it has users).
 *
 * KERNEL: an mm whose last mmput or mmdrop never came is never freed (__mmdrop in kernel/fork.c
 * never runs: kmemleak's view). Not a finding unless the caller asks (`drmstate run --leaks`).
 *
 * @example
 *   mmLeaks(world); // [{ kind: 'leak', message: 'mm "m1" still has mm_users 1, mm_count 1 …', objects: ['m1'] }]
 */
export function mmLeaks(world: World): readonly Violation[] {
  const out: Violation[] = [];
  for (const [name, m] of world.mm.mms.sortedEntries()) {
    if (m.state === 'freed') continue;
    const vmas = [...new Set(m.map.map((p) => p.vma))];
    const mapped = vmas.length > 0 ? `, mapping ${vmas.join(', ')}` : '';
    out.push(violation('leak', `mm ${JSON.stringify(name)} still has mm_users ${m.users}, mm_count ${m.count}${mapped}: it is never freed`, [name, ...vmas]));
  }
  return out;
}
