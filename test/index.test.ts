import { describe, expect, it } from 'vitest';
import * as drmstate from '../src/index.js';

describe('drmstate (the public entry)', () => {
  it('exports the kernel handle, the Rust-style classes, the machines and the CLI', () => {
    for (const name of ['Kernel', 'apply', 'replay', 'replayLog', 'fingerprint', 'DmaFenceCtx', 'DmaFence', 'Allocator', 'Node', 'Scan', 'MACHINES', 'runMachinePaths', 'toMermaid', 'toDot', 'toScxml', 'toSvg', 'loadViz', 'main', 'DrmstateError'])
      expect(drmstate, name).toHaveProperty(name);
  });

  it('exports the composed kernel, the non-throwing apply and task_exit, and not the API internals', () => {
    for (const name of ['composeKernel', 'KERNEL', 'PROTOCOLS', 'tryApply', 'Misuse', 'fingerprintHash', 'EMPTY_WORLD_FINGERPRINT', 'TASK_EXIT_EVENT'])
      expect(drmstate, name).toHaveProperty(name);
    expect(drmstate).not.toHaveProperty('Shared');
    const r = drmstate.tryApply(drmstate.initialWorld(), { type: 'dma_fence_put', fence: 'nobody' });
    expect(r.misuse).toMatchObject({ code: 'UNKNOWN_OBJECT', object: 'nobody' });
  });

  it('exports the model checker: check, loadModel, parseModel, assertModel and the trace writers', () => {
    for (const name of ['check', 'matchesExpect', 'loadModel', 'parseModel', 'assertModel', 'checkKernelOf', 'renderFinding', 'traceToNdjson', 'traceToLog', 'traceToMermaid', 'registerColorAdjust'])
      expect(drmstate, name).toHaveProperty(name);
    const r = drmstate.check(drmstate.parseModel({ model: 'm', tasks: { t: [{ type: 'dma_fence_begin_signalling' }] } }));
    expect(r.result === 'violation' && r.finding.kind).toBe('lockdep');
  });

  it('runs the README example', () => {
    const k = new drmstate.Kernel();
    const fence = drmstate.DmaFenceCtx.new(k).newFence();
    fence.registerCallback('done');
    expect(fence.signal()).toEqual({ ok: true, value: ['done'], violations: [] });
    expect(fence.signal()).toMatchObject({ ok: false, errno: 'EINVAL' });
  });
});

describe('replayLog from the public entry', () => {
  it('replays the text of a kernel log to the kernel final fingerprint', () => {
    const k = new drmstate.Kernel();
    drmstate.DmaFenceCtx.new(k).newFence().signal();
    const header = JSON.stringify({ format: drmstate.LOG_FORMAT, version: drmstate.LOG_VERSION });
    const text = [header, ...k.entries.map((e) => JSON.stringify(e))].join('\n') + '\n';
    const r = drmstate.replayLog(text);
    expect(r.ok && drmstate.fingerprint(r.world)).toBe(k.fingerprint);
    expect(r.entries).toBe(k.seq);
  });
});
