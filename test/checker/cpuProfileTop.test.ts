import { describe, expect, it } from 'vitest';
import { type CpuProfile, top } from '../bench/cpuProfileTop.js';

const frame = (functionName: string, lineNumber = 0) => ({ functionName, url: 'file:///x/a.js', lineNumber });

// root → run → { leaf, rec → rec }
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2] },
    { id: 2, callFrame: frame('run', 9), children: [3, 4] },
    { id: 3, callFrame: frame('leaf', 19) },
    { id: 4, callFrame: frame('rec', 29), children: [5] },
    { id: 5, callFrame: frame('rec', 29) },
  ],
  // The first delta (time before the first sample) is large and belongs to no sample.
  samples: [3, 3, 5, 2],
  timeDeltas: [100_000, 10, 10, 40, 20],
};

describe('cpuProfileTop', () => {
  it('counts each sample for the interval up to the next one, never the lead-in', () => {
    expect(top(profile)).toEqual([
      [50, 'rec (a.js:30)'],
      [25, 'leaf (a.js:20)'],
      [25, 'run (a.js:10)'],
    ]);
  });

  it('counts a function once per sample in the inclusive view, recursion included', () => {
    const incl = new Map(top(profile, 10, true).map(([pct, name]) => [name, pct]));
    expect(incl.get('run (a.js:10)')).toBe(100);
    expect(incl.get('(root) ()')).toBe(100);
    expect(incl.get('rec (a.js:30)')).toBe(50);
    expect(incl.get('leaf (a.js:20)')).toBe(25);
  });

  it('answers an empty profile with nothing', () => {
    expect(top({ nodes: [] })).toEqual([]);
  });
});
