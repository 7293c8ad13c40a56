import { apply, initialWorld } from '../../src/kernel/apply.js';
import { outcomeToJson } from '../../src/world/logFormat.js';
import type { World } from '../../src/world/World.js';

/** A world driven by raw events; `run` returns each call's outcome in JSON form. */
export class Scenario {
  world: World = initialWorld();

  run(event: Record<string, unknown>): Record<string, unknown> {
    const r = apply(this.world, event);
    this.world = r.world;
    return outcomeToJson(r.outcome) as Record<string, unknown>;
  }

  /** Runs events that must succeed without violations. */
  ok(...events: Record<string, unknown>[]): void {
    for (const e of events) {
      const o = this.run(e);
      if (o.ok !== true || o.violations !== undefined) throw new Error(`${JSON.stringify(e)} answered ${JSON.stringify(o)}`);
    }
  }

  /** A bound device `dev` with a registered DRM device `drm` (unmanaged). */
  device(drm = 'drm0', dev = 'pdev0'): this {
    this.ok({ type: 'device_add', dev }, { type: 'driver_bind', dev }, { type: 'drm_dev_alloc', drm, parent: dev }, { type: 'drm_dev_register', drm, flags: 0 });
    return this;
  }
}

/** The violation kinds of an outcome. */
export function kinds(o: Record<string, unknown>): string[] {
  return ((o.violations as { kind: string }[] | undefined) ?? []).map((v) => v.kind);
}
