import { describe, expect, it } from 'vitest';
import { drmMmMachine } from '../../machines/drmMm.machine.js';
import { drmMmNodeMachine } from '../../machines/drmMmNode.machine.js';
import { drmMmScanMachine } from '../../machines/drmMmScan.machine.js';
import { compileMachine } from '../../machines/machineTable.js';
import { DRM_MM_EVENTS } from '../../src/drm-mm/events.js';
import { VIOLATION_KINDS } from '../../src/world/Violation.js';

const TABLES = [drmMmMachine, drmMmNodeMachine, drmMmScanMachine].map(compileMachine);

/** The violation kinds and errnos the machines' branches carry for one event type. */
function fromMachines(type: string): { violations: string[]; errnos: string[] } {
  const violations = new Set<string>();
  const errnos = new Set<string>();
  for (const t of TABLES)
    for (const byEvent of t.branches.values())
      for (const b of byEvent.get(type) ?? []) {
        if (b.meta.violation !== undefined) violations.add(b.meta.violation);
        if (b.meta.errno !== undefined) errnos.add(b.meta.errno);
      }
  return { violations: [...violations].sort(), errnos: [...errnos].sort() };
}

describe('DRM_MM_EVENTS', () => {
  it('lists, per event, exactly the violation kinds and errnos its machine branches carry', () => {
    for (const [type, def] of Object.entries(DRM_MM_EVENTS)) {
      const m = fromMachines(type);
      expect([...def.violations].sort(), type).toEqual(m.violations);
      expect([...def.errnos].sort(), type).toEqual(m.errnos);
      for (const k of def.violations) expect(VIOLATION_KINDS).toContain(k);
    }
  });

  it('has an entry for every event a drm_mm machine answers', () => {
    for (const t of TABLES) for (const e of t.events) expect(Object.keys(DRM_MM_EVENTS)).toContain(e);
  });
});
