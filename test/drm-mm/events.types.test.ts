import { describe, expectTypeOf, it } from 'vitest';
import type { DrmMmEvent } from '../../src/drm-mm/events.js';

describe('DrmMmEvent (inferred from DRM_MM_EVENTS)', () => {
  it('types u64 fields as bigints, names as strings, modes as the enum, optional flags as optional', () => {
    type Insert = Extract<DrmMmEvent, { type: 'drm_mm_insert_node_in_range' }>;
    expectTypeOf<Insert['size']>().toEqualTypeOf<bigint>();
    expectTypeOf<Insert['node']>().toEqualTypeOf<string>();
    expectTypeOf<Insert['mode']>().toEqualTypeOf<'best' | 'low' | 'high' | 'evict'>();
    expectTypeOf<Insert['once']>().toEqualTypeOf<boolean | undefined>();
    const remove: DrmMmEvent = { type: 'drm_mm_remove_node', node: 'n1' };
    expectTypeOf(remove).toMatchTypeOf<DrmMmEvent>();
    // @ts-expect-error A misspelt event type is not a drm_mm event.
    const misspelt: DrmMmEvent = { type: 'drm_mm_remove_nod', node: 'n1' };
    // @ts-expect-error A u64 field is a bigint once decoded, not a string.
    const stringly: DrmMmEvent = { type: 'drm_mm_insert_node', mm: 'm', node: 'n', size: '1' };
    void misspelt;
    void stringly;
  });
});
