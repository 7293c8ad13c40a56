import { freeze } from "immer";
import type { Hash64 } from './hash.js';
import { HashedMap } from './HashedMap.js';

/**
 * Per-protocol parts of the world. Each protocol adds its slice by declaration merging
 * (`declare module '../world/World.js' { interface WorldSlices { dmaFence: DmaFenceState } }`),
 * so this layer never needs to know which protocols exist.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface WorldSlices {}

/**
 * What one simulated thread holds: the signalling-section read hold on `dma_fence_map` and, later,
 * the locks it owns. Models `struct task_struct`'s lockdep `held_locks`.
 */
export interface TaskState {
  /** Whether the task holds the `dma_fence_map` lockdep map for read (inside a signalling section). */
  readonly signalling: boolean;
}

/**
 * One immutable snapshot of the simulated kernel: the tasks and one slice per protocol.
 *
 * Worlds are never mutated: `apply` returns a new world that shares structure with the old one.
 */
export type World = { readonly tasks: HashedMap<TaskState> } & { readonly [K in keyof WorldSlices]: WorldSlices[K] };

/** Canonical encoding of a task's state, for hashing. */
export function encodeTask(t: TaskState): string {
  return t.signalling ? 's' : '-';
}

/** The task table of an empty world. */
export function emptyTasks(): HashedMap<TaskState> {
  return HashedMap.empty<TaskState>('task', encodeTask);
}

/** A task that holds nothing; tasks come into being when a call first names them. */
export const IDLE_TASK: TaskState = Object.freeze({ signalling: false });

/** The state of a task, or {@link IDLE_TASK} when it has not been named yet. */
export function taskState(world: World, task: string): TaskState {
  return world.tasks.get(task) ?? IDLE_TASK;
}

/** The hash of the task table (part of the world fingerprint). */
export function tasksHash(world: World): Hash64 {
  return world.tasks.hash;
}

/**
 * A new world with one slice (or the task table) replaced: a shallow copy of the small top-level
 * object with the new root, frozen by immer, sharing every other slice.
 *
 * ABSTRACTION: this is what `produce(world, d => { d[key] = slice })` yields, without the draft
 * proxy (replay is a hot path; see docs/api.md).
 */
export function withSlice<K extends keyof World>(world: World, key: K, slice: World[K]): World {
  if (world[key] === slice) return world;
  const next = { ...world } as Record<string, unknown>;
  next[key as string] = slice;
  return freeze(next) as unknown as World;
}
