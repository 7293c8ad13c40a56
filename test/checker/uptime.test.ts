import { describe, expect, it } from 'vitest';
import { checkKernelOf } from '../../src/checker/CheckKernel.js';
import { check } from '../../src/checker/check.js';
import { ExpansionCounts } from '../../src/checker/uptime.js';
import { parseModel } from '../../src/checker/model.js';
import { composeKernel } from '../../src/kernel/composeKernel.js';
import { PROTOCOLS } from '../../src/kernel/protocols.js';
import { orderProtocol } from './orderProtocol.js';

// Issue #10: in `drmstate check` lockdep's edges accumulate over every explored transition, as
// lockdep's do over an uptime, and are not part of the state; a cycle is reported with, for each
// edge, a shortest trace that made it. Shown on a test-only lock-order protocol.

const accumulating = checkKernelOf(composeKernel([...PROTOCOLS, orderProtocol({ accumulate: true })]));
const perState = checkKernelOf(composeKernel([...PROTOCOLS, orderProtocol({ accumulate: false })]));

const take = (lock: string) => ({ type: 'order_take', lock });
const drop = (lock: string) => ({ type: 'order_drop', lock });

const opposite = parseModel({
  model: 'opposite-orders',
  tasks: { t1: [take('A'), take('B'), drop('B'), drop('A')], t2: [take('B'), take('A'), drop('A'), drop('B')] },
});

describe('accumulated facts (Protocol.uptime) in the checker', () => {
  it('closes a cycle from edges two interleavings made, at the depth of the second edge, with a trace for each', () => {
    const r = check(opposite, { kernel: accumulating });
    expect(r.result).toBe('violation');
    if (!('finding' in r)) return;
    expect(r.finding.kind).toBe('lockdep');
    expect(r.depth).toBe(2);
    // The closing step's own path: t2 takes B then A.
    expect(r.finding.trace.map((t) => `${t.task}:${String(t.event.lock)}`)).toEqual(['t2:B', 't2:A']);
    expect(r.finding.trace[1]?.outcome.violations).toEqual([expect.objectContaining({ kind: 'lockdep' })]);
    const facts = Object.fromEntries((r.finding.facts ?? []).map((f) => [f.fact, f]));
    expect(Object.keys(facts).sort()).toEqual(['order:A -> B', 'order:B -> A']);
    // A -> B was made on another interleaving: t1 took A then B.
    expect(facts['order:A -> B']?.trace.map((t) => `${t.task}:${String(t.event.lock)}`)).toEqual(['t1:A', 't1:B']);
    expect(facts['order:A -> B']?.depth).toBe(2);
    // B -> A is the edge the closing step itself makes: its trace is the finding's.
    expect(facts['order:B -> A']?.trace).toEqual(r.finding.trace);
  });

  it('keeps the edges in the world when they are per-state data: the cycle then needs one run that makes both', () => {
    const r = check(opposite, { kernel: perState });
    expect(r.result).toBe('violation');
    expect(r.depth).toBe(4);
    expect('finding' in r && r.finding.facts).toBeUndefined();
  });

  it('stores states without the facts: runs that differ only in what they recorded are one state', () => {
    const m = parseModel({
      model: 'either-order',
      tasks: { t1: [{ either: [[take('A'), take('B'), drop('B'), drop('A')], [take('A'), take('C'), drop('C'), drop('A')]] }] },
    });
    const a = check(m, { kernel: accumulating });
    const b = check(m, { kernel: perState });
    expect(a.result).toBe('ok');
    expect(b.result).toBe('ok');
    // The two branches end in one state once A -> B and A -> C are not part of it.
    expect(b.states - a.states).toBe(1);
  });

  it('counts what a call records before it sleeps: a wait that never runs still makes its edge', () => {
    const m = parseModel({
      model: 'wait-while-holding',
      tasks: {
        t1: [take('L'), { type: 'order_wait', lock: 'W' }, drop('L')],
        t2: [take('W'), take('L'), drop('L'), drop('W')],
      },
    });
    const r = check(m, { kernel: accumulating });
    expect(r.result).toBe('violation');
    if (!('finding' in r)) return;
    expect(r.finding.kind).toBe('lockdep');
    const w = (r.finding.facts ?? []).find((f) => f.fact === 'order:L -> W');
    expect(w).toBeDefined();
    // Its witness ends with the wait that sleeps (blocked, not a transition).
    expect(w?.trace.map((t) => t.event.type)).toEqual(['order_take', 'order_wait']);
    expect(w?.trace[1]?.outcome).toEqual(expect.objectContaining({ ok: false, blocked: true }));
  });
});

describe('a call that sleeps and reports first', () => {
  it('is a finding whose trace ends with that call', () => {
    const m = parseModel({
      model: 'cross-waits',
      tasks: { t1: [take('A'), { type: 'order_wait', lock: 'B' }], t2: [take('B'), { type: 'order_wait', lock: 'A' }] },
    });
    const r = check(m, { kernel: accumulating });
    expect(r.result).toBe('violation');
    if (!('finding' in r)) return;
    const last = r.finding.trace[r.finding.trace.length - 1];
    expect(last?.event.type).toBe('order_wait');
    expect(last?.outcome).toEqual(expect.objectContaining({ ok: false, blocked: true }));
    expect(r.depth).toBe(2);
  });
});

describe('renderFinding with accumulated facts', () => {
  it('names each edge and the steps of the interleaving that made it', async () => {
    const { renderFinding } = await import('../../src/checker/trace.js');
    const r = check(opposite, { kernel: accumulating });
    if (!('finding' in r)) throw new Error('expected a finding');
    const text = renderFinding(r.finding, { model: 'opposite-orders' }, { kernel: accumulating });
    expect(text).toContain('order: A -> B: first made at depth 2, by');
    expect(text).toContain('[t1] order_take A → ok');
    expect(text).toContain('order: B -> A: made by the step above');
  });
});

describe('ExpansionCounts', () => {
  it('answers each expanded state with the count its expansion saw, from the points where it changed', () => {
    const c = new ExpansionCounts();
    const counts = [0, 0, 0, 1, 1, 3, 3, 3, 3, 4];
    counts.forEach((n, id) => c.note(id * 2, n));
    counts.forEach((n, id) => expect(c.at(id * 2)).toBe(n));
    // Odd ids were never noted: they answer as the last expanded state before them (ids go in order).
    expect(c.at(7)).toBe(1);
    expect(c.at(19)).toBeUndefined();
    expect(c.bytes).toBe(4 * 16);
    expect(() => c.note(18, 4)).toThrow(/after state 18/);
  });
});
