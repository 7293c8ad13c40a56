import { describe, expect, it } from 'vitest';
import { Mm, MmWithUser, MmapReadGuard, type VmaRef } from '../../src/api/mm.js';
import { Kernel } from '../../src/kernel/Kernel.js';

describe('the Rust type-state in TypeScript', () => {
  it('offers the mmap lock only on MmWithUser, and a VmaRef leaked out of a scope types as never', () => {
    const k = new Kernel();
    const user = MmWithUser.alloc(k, 't', 'm');
    const mm = Mm.fromUser(user);
    // @ts-expect-error Mm (an mmgrab reference) has no mmapReadLock: only MmWithUser does.
    expect(typeof mm.mmapReadLock).toBe('undefined');
    expect(typeof user.mmapReadLock).toBe('function');
    const g = user.mmapReadTrylock('t') as MmapReadGuard;
    const leaked = MmapReadGuard.scoped(g, (guard) => guard.vmaLookup(0n) as VmaRef<MmapReadGuard>);
    const isNever: [typeof leaked] extends [never] ? true : false = true;
    expect(isNever).toBe(true);
  });
});
