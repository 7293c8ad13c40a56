import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyMachineSnapshot } from 'xstate';
import { type BranchTrace, compileMachine, decide } from '../../machines/machineTable.js';
import type { Kernel } from '../../src/kernel/Kernel.js';
import { apply, initialWorld } from '../../src/kernel/apply.js';
import { ADAPTERS } from '../../src/testgen/adapters/index.js';
import { generatePaths, leafOf } from '../../src/testgen/generatePaths.js';
import type { World } from '../../src/world/World.js';
import { FIXTURES } from '../conformance/conformance.js';

/** The branches kernel `apply` reached, per machine id, by branch id (`state:event:index`). */
export type Reached = ReadonlyMap<string, ReadonlySet<string>>;

function tracer(machineIds: readonly string[]): { trace: BranchTrace; reached: Map<string, Set<string>> } {
  const reached = new Map<string, Set<string>>(machineIds.map((id) => [id, new Set<string>()]));
  return {
    reached,
    trace: {
      reach(machineId, branch) {
        reached.get(machineId)?.add(branch);
      },
    },
  };
}

/** Applies a list of raw events from the empty world with `trace`; a call that throws (misuse) is skipped. */
function applyAll(events: readonly unknown[], trace: BranchTrace): void {
  let world: World = initialWorld();
  for (const event of events) {
    try {
      world = apply(world, event, { trace }).world;
    } catch {
      // Library misuse changes nothing and reaches no branch.
    }
  }
}

/** Every conformance sample, as its list of events, from every fixture folder. */
function conformanceEvents(): unknown[][] {
  const out: unknown[][] = [];
  for (const dir of readdirSync(FIXTURES, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(join(FIXTURES, dir.name)).filter((f) => f.endsWith('.ndjson')).sort()) {
      const lines = readFileSync(join(FIXTURES, dir.name, file), 'utf8').split('\n').filter((l) => l.trim() !== '');
      out.push(lines.map((l) => (JSON.parse(l) as { event: unknown }).event));
    }
  }
  return out;
}

/**
 * The kernel calls each generated test path of every adapter makes (setup included), as logged by
 * the path's kernel: the path is run through its adapter as `drmstate paths` runs it.
 */
function pathEvents(): unknown[][] {
  const out: unknown[][] = [];
  for (const [id, adapter] of Object.entries(ADAPTERS)) {
    const table = compileMachine(adapter.machine);
    for (const path of generatePaths(adapter)) {
      const sut = adapter.setup() as { kernel?: Kernel };
      if (sut.kernel === undefined) throw new Error(`the ${id} adapter's system under test has no kernel to read the calls from`);
      let prev: AnyMachineSnapshot = path.initial;
      try {
        for (const step of path.steps) {
          const branch = decide(table, leafOf(prev), step.event.type, prev.context, step.event);
          if (branch === undefined) break;
          adapter.exec(sut, step.event as never, branch, prev);
          prev = step.state;
        }
      } catch {
        // A failing path is reported by the coverage test; the calls made so far still count.
      }
      out.push(sut.kernel.entries.map((e) => e.event));
    }
  }
  return out;
}

/**
 * The branches kernel `apply(world, event, { trace })` reaches, for each machine in `machineIds`,
 * over every conformance sample and every generated test path (src/testgen). Add a machine to a
 * reach test by adding its id to the list.
 */
export function reachedBranches(machineIds: readonly string[]): Reached {
  const { trace, reached } = tracer(machineIds);
  for (const events of conformanceEvents()) applyAll(events, trace);
  for (const events of pathEvents()) applyAll(events, trace);
  return reached;
}
