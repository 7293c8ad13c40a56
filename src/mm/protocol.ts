import { DrmstateError } from '../errors.js';
import type { Event } from '../world/Event.js';
import { decodeFields } from '../world/fields.js';
import type { HashedMap } from '../world/HashedMap.js';
import type { Protocol } from '../world/Protocol.js';
import { mmStructMachine } from '../../machines/mmStruct.machine.js';
import { vmAreaStructMachine } from '../../machines/vmAreaStruct.machine.js';
import { applyMm, mmTaskExit } from './apply.js';
import { MM_EVENTS, type MmEvent } from './events.js';
import { mmInvariants } from './invariants.js';
import { mmLeaks } from './leaks.js';
import { type MmState, emptyMaps, hashMmState, initialMmState } from './state.js';

// A Map, not a property lookup: event types read from a log are fresh strings.
const DEFS = new Map<string, (typeof MM_EVENTS)[keyof typeof MM_EVENTS]>(Object.entries(MM_EVENTS) as [string, (typeof MM_EVENTS)[keyof typeof MM_EVENTS]][]);

function bad(msg: string): DrmstateError {
  return new DrmstateError('BAD_SNAPSHOT', `mm slice: ${msg}`);
}

/**
 * The mm protocol: mm_structs and their two counts, the VMAs of their address spaces, the task's
 * current->mm, and the VMA references lookups hand out.
 * Models kernel/fork.c, include/linux/sched/mm.h, mm/mmap.c, mm/vma.c and mm/util.c (v6.17).
 */
export const mmProtocol: Protocol<'mm', MmEvent> = {
  key: 'mm',
  events: MM_EVENTS,
  initial: initialMmState,
  decode(event: Event): MmEvent {
    const def = DEFS.get(event.type);
    if (def === undefined) throw new DrmstateError('MALFORMED_EVENT', `not an mm event: ${event.type}`, { field: 'type' });
    return decodeFields<MmEvent>(event, def.fields);
  },
  apply: applyMm,
  hash: hashMmState,
  toSnapshot(s: MmState): unknown {
    return { mms: s.mms.sortedEntries(), vmas: s.vmas.sortedEntries(), owners: s.owners.sortedEntries(), tasks: s.tasks.sortedEntries() };
  },
  fromSnapshot(data: unknown): MmState {
    const d = data as Record<string, unknown> | null;
    if (typeof d !== 'object' || d === null) throw bad('expected an object');
    for (const k of ['mms', 'vmas', 'owners', 'tasks']) if (d[k] !== undefined && !Array.isArray(d[k])) throw bad(`"${k}" must be a list`);
    const from = <V>(m: HashedMap<V>, list: unknown): HashedMap<V> => {
      let out = m;
      for (const [k, v] of (list ?? []) as [string, V][]) out = out.set(k, typeof v === 'object' && v !== null ? Object.freeze(v) : v);
      return out;
    };
    return Object.freeze({
      mms: from(emptyMaps.mms(), d.mms),
      vmas: from(emptyMaps.vmas(), d.vmas),
      owners: from(emptyMaps.owners(), d.owners),
      tasks: from(emptyMaps.tasks(), d.tasks),
    });
  },
  invariants: mmInvariants,
  leaks: mmLeaks,
  footprint(event: Event): readonly string[] | null {
    // The counting calls touch only their mm. Everything else reaches further than its names: a
    // last mmput unmaps every VMA of the mm, an unmap or MAP_FIXED mapping other VMAs, a VMA read
    // the mm's map, get_task_mm whichever mm the task has, and the lock calls the task's locks.
    switch (event.type) {
      case 'mmgrab':
      case 'mmdrop':
      case 'mmget':
      case 'mmget_not_zero':
        return typeof event.mm === 'string' ? [`mm:${event.mm}`] : null;
      case 'mm_alloc':
        return typeof event.mm === 'string' ? [`mm:${event.mm}`, ...(typeof event.task === 'string' ? [`owner:${event.task}`] : [])] : null;
      default:
        return null;
    }
  },
  machines: [mmStructMachine, vmAreaStructMachine],
  docs: 'docs/mm.md',
  fixtures: 'mm',
  tasks: { table: (s) => s.tasks, exit: (world, task) => mmTaskExit(world, task) },
};
