import { describe, expect, it } from 'vitest';
import { DrmstateError, fileError } from '../src/errors.js';
import { Kernel } from '../src/kernel/Kernel.js';

describe('DrmstateError', () => {
  it('runs its own example: a malformed call through Kernel.callJson is MALFORMED_EVENT, and nothing is logged', () => {
    const kernel = new Kernel();
    let caught: unknown;
    try {
      kernel.callJson({ type: 'dma_fence_signal' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DrmstateError);
    expect((caught as DrmstateError).code).toBe('MALFORMED_EVENT');
    expect((caught as DrmstateError).field).toBe('fence');
    expect(kernel.seq).toBe(0);
  });

  it('prefixes its message with the location and keeps the detail apart', () => {
    const e = new DrmstateError('BAD_LOG_LINE', 'not valid JSON', { file: 'a.ndjson', line: 3 });
    expect(e.message).toBe('a.ndjson, line 3: not valid JSON');
    expect(e.detail).toBe('not valid JSON');
    expect(e.at({ field: 'event' }).message).toBe('a.ndjson, line 3, field "event": not valid JSON');
  });
});

describe('fileError', () => {
  it('names the path and the reason in words, by the Node.js error code', () => {
    expect(fileError('read', 'a', { code: 'ENOENT' }).message).toBe('cannot read a: no such file or directory');
    expect(fileError('read', 'a', { code: 'EACCES' }).message).toBe('cannot read a: permission denied');
    expect(fileError('read', 'a', { code: 'EPERM' }).message).toBe('cannot read a: permission denied');
    expect(fileError('write', 'd', { code: 'EISDIR' }).message).toBe('cannot write d: it is a directory');
    expect(fileError('write', 'f/x', { code: 'ENOTDIR' }).message).toBe('cannot write f/x: a part of the path is not a directory');
    expect(fileError('write', 'r', { code: 'EROFS' }).message).toBe('cannot write r: the file system is read-only');
    expect(fileError('read', 'a', new Error('odd')).message).toBe('cannot read a: odd');
    expect(fileError('read', 'a', { code: 'EIO' }).code).toBe('BAD_ARGUMENT');
  });
});
