import type { CheckKernel } from './CheckKernel.js';
import type { Program } from './program.js';

/** The objects a step may touch: a set of names, or `null` for "any object". */
export type Footprint = ReadonlySet<string> | null;

function union(a: Footprint, b: Footprint): Footprint {
  if (a === null || b === null) return null;
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  return new Set([...a, ...b]);
}

/** Whether two footprints share no object. */
export function disjoint(a: Footprint, b: Footprint): boolean {
  if (a === null || b === null) return false;
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  for (const x of small) if (big.has(x)) return false;
  return true;
}

/**
 * Static footprints of a model's programs, for ample-set partial-order reduction: what the next
 * step of a task at a pc may touch, and what all of its remaining steps may touch.
 *
 * Computed from the code alone (both sides of every `either` and `if`), so they over-approximate:
 * a step is never taken for independent when it is not. A call whose footprint the kernel cannot
 * tell (a templated name, an event with global effects the kernel marks) touches everything.
 */
export class Footprints {
  private readonly stepMemo: Map<number, Footprint>[];
  private readonly restMemo: Footprint[][];
  private readonly groups: Map<number, Footprint>[];

  constructor(
    private readonly kernel: CheckKernel,
    private readonly programs: readonly Program[],
  ) {
    this.stepMemo = programs.map(() => new Map());
    this.groups = programs.map((p) => {
      const g = new Map<number, Footprint>();
      for (const ins of p.code) if (ins.op === 'call' && ins.group >= 0) g.set(ins.group, union(g.get(ins.group) ?? new Set(), this.ofCall(ins.event)));
      return g;
    });
    this.restMemo = programs.map((p) => {
      const rest: Footprint[] = new Array(p.code.length + 1).fill(new Set<string>());
      for (let pc = p.code.length - 1; pc >= 0; pc--) {
        const ins = p.code[pc];
        rest[pc] = ins?.op === 'call' ? union(this.ofCall(ins.event), rest[pc + 1] as Footprint) : (rest[pc + 1] as Footprint);
      }
      return rest;
    });
  }

  private ofCall(event: { readonly type: string; readonly [k: string]: unknown }): Footprint {
    const f = this.kernel.footprint(event);
    return f === null ? null : new Set(f);
  }

  /** What the step a task starts at `pc` may touch (every branch, the whole atomic block). */
  step(ti: number, pc: number): Footprint {
    const memo = this.stepMemo[ti] as Map<number, Footprint>;
    const hit = memo.get(pc);
    if (hit !== undefined || memo.has(pc)) return hit as Footprint;
    const code = (this.programs[ti] as Program).code;
    const ins = code[pc];
    let f: Footprint;
    if (ins === undefined || ins.op === 'end') f = new Set();
    else if (ins.op === 'call') f = ins.group >= 0 ? ((this.groups[ti] as Map<number, Footprint>).get(ins.group) as Footprint) : this.ofCall(ins.event);
    else if (ins.op === 'jump') f = this.step(ti, ins.to);
    else if (ins.op === 'if') f = union(this.step(ti, ins.then), this.step(ti, ins.else));
    else f = ins.targets.reduce<Footprint>((acc, t) => union(acc, this.step(ti, t)), new Set());
    memo.set(pc, f);
    return f;
  }

  /** What every step of a task from `pc` to its end may touch. */
  rest(ti: number, pc: number): Footprint {
    return (this.restMemo[ti] as Footprint[])[pc] ?? new Set();
  }
}
