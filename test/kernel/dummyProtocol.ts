import type { AnyProtocol } from '../../src/kernel/composeKernel.js';
import { HashedMap } from '../../src/world/HashedMap.js';
import { unknownObject } from '../../src/world/Misuse.js';
import { ok } from '../../src/world/Outcome.js';
import type { World } from '../../src/world/World.js';
import { violation } from '../../src/world/Violation.js';

/** The test-only protocol's slice: things poked, and tasks holding a test "lock". */
interface DummyState {
  readonly pokes: HashedMap<number>;
  readonly tasks: HashedMap<true>;
}

const slice = (w: World): DummyState => (w as unknown as { dummy: DummyState }).dummy;
const withDummy = (w: World, s: DummyState): World => Object.freeze({ ...w, dummy: Object.freeze(s) }) as unknown as World;

/**
 * A test-only protocol, composed beside the real ones without any global registration: `dummy_poke`
 * counts pokes of a name, `dummy_lock`/`dummy_peek` take a task lock and read a poked name (misuse
 * when never poked), and `task_exit` with the lock held is a lockdep finding.
 */
export const dummyProtocol: AnyProtocol = {
  key: 'dummy' as never,
  events: {
    dummy_poke: { kernel: 'none (test-only)', summary: 'Pokes a name.', fields: { name: { kind: 'name' } }, returns: ['count'], errnos: [], violations: [] },
    dummy_peek: { kernel: 'none (test-only)', summary: 'Reads a poked name.', fields: { name: { kind: 'name' } }, returns: ['count'], errnos: [], violations: [] },
    dummy_lock: { kernel: 'none (test-only)', summary: 'Takes the task lock.', fields: { task: { kind: 'name' } }, returns: [], errnos: [], violations: [] },
  },
  initial: () => Object.freeze({ pokes: HashedMap.empty<number>('dummy.poke', String), tasks: HashedMap.empty<true>('dummy.task', () => '1') }) as never,
  decode: (e) => e,
  apply(world, event) {
    const e = event as { type: string; name?: string; task?: string };
    const s = slice(world);
    if (e.type === 'dummy_poke') {
      const count = (s.pokes.get(e.name as string) ?? 0) + 1;
      return { world: withDummy(world, { ...s, pokes: s.pokes.set(e.name as string, count) }), outcome: ok({ count }) };
    }
    if (e.type === 'dummy_lock') return { world: withDummy(world, { ...s, tasks: s.tasks.set(e.task as string, true) }), outcome: ok() };
    const count = s.pokes.get(e.name as string);
    if (count === undefined) throw unknownObject(`no poked name ${JSON.stringify(e.name)}`, 'name', e.name as string);
    return { world, outcome: ok({ count }) };
  },
  hash: (s) => (s as unknown as DummyState).pokes.hash,
  toSnapshot: (s) => ({ pokes: (s as unknown as DummyState).pokes.sortedEntries(), tasks: [...(s as unknown as DummyState).tasks.keys()] }),
  fromSnapshot: (d) => {
    const data = d as { pokes: [string, number][]; tasks: string[] };
    return Object.freeze({
      pokes: HashedMap.from('dummy.poke', String, data.pokes),
      tasks: HashedMap.from<true>('dummy.task', () => '1', data.tasks.map((t) => [t, true] as const)),
    }) as never;
  },
  invariants: [{ name: 'pokesArePositive', statement: 'For every poked name, its count is at least 1.', holds: (w) => [...slice(w).pokes.entries()].every(([, n]) => n >= 1) }],
  machines: [],
  docs: 'none',
  fixtures: 'none',
  tasks: {
    table: (s) => (s as unknown as DummyState).tasks,
    exit: (world, task) => {
      const s = slice(world);
      if (!s.tasks.has(task)) return { world, violations: [] };
      return { world: withDummy(world, { ...s, tasks: s.tasks.delete(task) }), violations: [violation('lockdep', `task ${task} exits holding the dummy lock`, [task])] };
    },
  },
};
