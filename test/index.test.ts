import { describe, expect, it } from 'vitest';
import * as drmstate from '../src/index.js';

describe('drmstate (the public entry)', () => {
  it('exports the kernel handle, the Rust-style classes, the machines and the CLI', () => {
    for (const name of ['Kernel', 'apply', 'replay', 'fingerprint', 'DmaFenceCtx', 'DmaFence', 'Allocator', 'Node', 'Scan', 'MACHINES', 'runMachinePaths', 'toMermaid', 'toDot', 'toScxml', 'toSvg', 'main', 'DrmstateError'])
      expect(drmstate, name).toHaveProperty(name);
  });

  it('runs the README example', () => {
    const k = new drmstate.Kernel();
    const fence = drmstate.DmaFenceCtx.new(k).newFence();
    fence.registerCallback('done');
    expect(fence.signal()).toEqual({ ok: true, value: ['done'], violations: [] });
    expect(fence.signal()).toMatchObject({ ok: false, errno: 'EINVAL' });
  });
});
