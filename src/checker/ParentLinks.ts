/**
 * The model checker's parent links: for every stored state but the initial one, the state it was
 * first reached from and the action (task and alternative) that reached it, so a trace is rebuilt
 * by walking back to the initial state and re-running the actions forwards.
 *
 * Written here rather than kept in two growing `Uint32Array`s: links are the other half of the
 * checker's memory beside the seen-set. Parents are 4 bytes each, kept in fixed pages so that
 * growing never copies and never leaves more than one page unused. Actions are few and repeat
 * (a model has a handful of tasks, each with a handful of alternatives), so each is stored as a
 * one-byte index into a table of the distinct actions; an action past the 255th distinct one is
 * kept in a side map, marked by the byte 255.
 */
export interface Links {
  /** The state `id` was first reached from. */
  parent(id: number): number;
  /** The action that first reached `id`. */
  action(id: number): number;
  /** Bytes the links take. */
  readonly bytes: number;
}

const PAGE = 1 << 16;
const ESCAPE = 255;

/** Parent links in pages: 4 bytes of parent and 1 byte of action index per state. */
export class ParentLinks implements Links {
  private readonly parents: Uint32Array[] = [];
  private readonly codes: Uint8Array[] = [];
  private readonly distinct: number[] = [];
  private readonly index = new Map<number, number>();
  private readonly rare = new Map<number, number>();

  /** Records that `id` was first reached from `parent` by `action`. */
  set(id: number, parent: number, action: number): void {
    const page = id >>> 16;
    while (this.parents.length <= page) {
      this.parents.push(new Uint32Array(PAGE));
      this.codes.push(new Uint8Array(PAGE));
    }
    const at = id & (PAGE - 1);
    (this.parents[page] as Uint32Array)[at] = parent;
    let code = this.index.get(action);
    if (code === undefined && this.distinct.length < ESCAPE) {
      code = this.distinct.length;
      this.distinct.push(action);
      this.index.set(action, code);
    }
    if (code === undefined) {
      this.rare.set(id, action);
      code = ESCAPE;
    }
    (this.codes[page] as Uint8Array)[at] = code;
  }

  parent(id: number): number {
    return (this.parents[id >>> 16] as Uint32Array)[id & (PAGE - 1)] as number;
  }

  action(id: number): number {
    const code = (this.codes[id >>> 16] as Uint8Array)[id & (PAGE - 1)] as number;
    return code === ESCAPE ? (this.rare.get(id) as number) : (this.distinct[code] as number);
  }

  get bytes(): number {
    // The side map's entries are counted at 16 bytes each, a Map's payload for two small integers.
    return this.parents.length * PAGE * 5 + this.distinct.length * 8 + this.rare.size * 16;
  }
}

/** Links kept as two plain arrays (what the parallel search hands back). */
export function arrayLinks(parents: Uint32Array, actions: Uint32Array, bytes: number): Links {
  return { parent: (id) => parents[id] as number, action: (id) => actions[id] as number, bytes };
}
