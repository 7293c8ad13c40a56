import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drmInvariants } from '../../src/drm/invariants.js';
import { FIXTURES, fixtureFiles, runFixture } from '../conformance/conformance.js';
import { Scenario } from './helpers.js';

describe('drmInvariants', () => {
  it('hold after every step of every device-gem conformance sample', () => {
    for (const file of fixtureFiles('device-gem')) {
      runFixture(join(FIXTURES, 'device-gem', file), {
        onWorld: (w) => {
          for (const inv of drmInvariants) expect(inv.holds(w), `${file}: ${inv.name}`).toBe(true);
        },
      });
    }
  });

  it('everyHandleHoldsItsObject breaks when an object is put once too often while a handle names it', () => {
    const s = new Scenario().device();
    s.ok({ type: 'drm_open', file: 'f', drm: 'drm0' }, { type: 'drm_gem_object_init', obj: 'o', drm: 'drm0', size: '4096' });
    s.ok({ type: 'drm_gem_handle_create', file: 'f', obj: 'o' }, { type: 'drm_gem_object_put', obj: 'o' });
    const inv = drmInvariants.find((i) => i.name === 'everyHandleHoldsItsObject');
    expect(inv?.holds(s.world)).toBe(true);
    s.ok({ type: 'drm_gem_object_put', obj: 'o' });
    expect(inv?.holds(s.world)).toBe(false);
  });
});
