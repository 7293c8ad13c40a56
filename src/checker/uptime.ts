import type { Event } from '../world/Event.js';
import type { Facts } from '../world/Protocol.js';
import type { World } from '../world/World.js';
import type { UptimePart } from './CheckKernel.js';

/** Where a fact was first recorded: the state the step left, the step, and its depth. */
export interface Witness {
  /** The state the step was taken from; -1 for the setup. */
  readonly parent: number;
  readonly action: number;
  readonly depth: number;
  /** Whether the step was a call that sleeps (recorded before sleeping, so not a transition). */
  readonly blocked: boolean;
}

interface Found extends Witness {
  readonly part: number;
  readonly key: string;
  readonly value: unknown;
}

/**
 * The facts a search has accumulated over every transition it explored (`Protocol.uptime`:
 * lockdep's graph), in the order they were found, each with the first step that recorded it.
 * States are stored without them ({@link strip}); a state is expanded with those known then
 * ({@link inject}). One per search: it is the search's own state, not the module's.
 */
export class Accumulated {
  private readonly maps: Facts[];
  private readonly found: Found[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly parts: readonly UptimePart[]) {
    this.maps = parts.map((p) => p.empty);
  }

  /** Whether any protocol accumulates (otherwise every method is the identity). */
  get active(): boolean {
    return this.parts.length > 0;
  }

  /** How many facts are known. */
  get count(): number {
    return this.found.length;
  }

  /** The world with every fact known now. */
  inject(world: World): World {
    let w = world;
    for (let i = 0; i < this.parts.length; i++) w = (this.parts[i] as UptimePart).set(w, this.maps[i] as Facts);
    return w;
  }

  /** The world with the first `count` facts found (what a state expanded at that time saw). */
  injectFirst(world: World, count: number): World {
    const maps = this.parts.map((p) => p.empty);
    for (let i = 0; i < count && i < this.found.length; i++) {
      const f = this.found[i] as Found;
      maps[f.part] = (maps[f.part] as Facts).set(f.key, f.value);
    }
    let w = world;
    for (let i = 0; i < this.parts.length; i++) w = (this.parts[i] as UptimePart).set(w, maps[i] as Facts);
    return w;
  }

  /** The world without accumulated facts: what a state stores and fingerprints. */
  strip(world: World): World {
    let w = world;
    for (const p of this.parts) w = p.set(w, p.empty);
    return w;
  }

  /** Adds the facts `world` holds beyond those known, each witnessed by `where`; returns how many were new. */
  harvest(world: World, where: Witness): number {
    let added = 0;
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i] as UptimePart;
      const got = part.get(world);
      let known = this.maps[i] as Facts;
      if (got === known) continue;
      for (const [key, value] of got.entries()) {
        if (known.has(key)) continue;
        known = known.set(key, value);
        this.index.set(`${part.key}:${key}`, this.found.length);
        this.found.push({ ...where, part: i, key, value });
        added++;
      }
      this.maps[i] = known;
    }
    return added;
  }

  /** A fact (`key:fact`, as findings name them) as people read it: `locking: A → B`. */
  label(fact: string): string {
    const f = this.split(fact);
    return f === undefined ? fact : `${f.part.key}: ${f.part.label(f.key)}`;
  }

  /** The calls that record a fact (`key:fact`) again in a fresh run. */
  prime(fact: string): readonly Event[] {
    const f = this.split(fact);
    return f === undefined ? [] : f.part.prime(f.key);
  }

  /** A `key:fact` name as its protocol's part and the fact's own key. */
  private split(fact: string): { part: UptimePart; key: string } | undefined {
    const i = fact.indexOf(':');
    const part = this.parts.find((p) => p.key === fact.slice(0, i));
    return part === undefined ? undefined : { part, key: fact.slice(i + 1) };
  }

  /** Where a fact (`key:fact`, as findings name them) was first recorded. */
  witness(fact: string): Witness | undefined {
    const i = this.index.get(fact);
    return i === undefined ? undefined : (this.found[i] as Found);
  }
}

/**
 * How many accumulated facts each state's expansion saw, kept as the points where that count
 * changed. A search expands states in id order (breadth-first, ids given as states are found), so
 * the count is a non-decreasing step function of the id: a few entries, not one per state.
 */
export class ExpansionCounts {
  private readonly ids: number[] = [];
  private readonly counts: number[] = [];
  private last = -1;

  /** Notes that state `id` was expanded with `count` facts known (ids in increasing order). */
  note(id: number, count: number): void {
    if (id <= this.last) throw new Error(`expansion of state ${id} noted after state ${this.last}`);
    this.last = id;
    const n = this.counts.length;
    if (n > 0 && this.counts[n - 1] === count) return;
    this.ids.push(id);
    this.counts.push(count);
  }

  /** The count state `id`'s expansion saw; undefined when it was not expanded. */
  at(id: number): number | undefined {
    if (id > this.last) return undefined;
    let lo = 0;
    let hi = this.ids.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.ids[mid] as number) <= id) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : this.counts[found];
  }

  /** Bytes the points take (two numbers each). */
  get bytes(): number {
    return this.ids.length * 16;
  }
}
