import { describe, expect, it } from 'vitest';
import { ERRNO_VALUES, isErrno, negErrno } from '../src/errno.js';

describe('negErrno', () => {
  it('is the negated value of include/uapi/asm-generic/errno*.h', () => {
    expect(negErrno('EDEADLK')).toBe(-35);
    expect(negErrno('EINVAL')).toBe(-22);
    for (const name of Object.keys(ERRNO_VALUES)) if (isErrno(name)) expect(negErrno(name)).toBe(-ERRNO_VALUES[name]);
  });
});

describe('isErrno', () => {
  it('knows the kernel names and nothing from Object.prototype', () => {
    expect(isErrno('ENOSPC')).toBe(true);
    expect(isErrno('ENOSUCH')).toBe(false);
    expect(isErrno('constructor')).toBe(false);
  });
});
