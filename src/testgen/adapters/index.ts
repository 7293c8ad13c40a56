import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AnyMachineAdapter } from '../MachineAdapter.js';

/**
 * Every machine's adapter, found in this folder: each module here exports the adapters of its
 * machines, and nothing lists them. A protocol's adapters live in the API layer (they drive the
 * Rust-style classes), which the protocol (layer 3) cannot import, so the protocol declares its
 * machines and this folder supplies one adapter per machine; a test checks that every machine of
 * every registered protocol has one and that none is left over (docs/contributing.md).
 *
 * ABSTRACTION: the folder is read once, when this module loads (a top-level `await` of the
 * sibling modules, `.ts` under vitest and `.js` in the package), so `ADAPTERS` is a plain object.
 */
const HERE = new URL('./', import.meta.url);

/** Whether a module export is a machine adapter (what {@link AnyMachineAdapter} requires). */
function isAdapter(v: unknown): v is AnyMachineAdapter {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Partial<AnyMachineAdapter>;
  return typeof a.machine?.id === 'string' && typeof a.events === 'function' && typeof a.setup === 'function' && typeof a.exec === 'function';
}

const modules = readdirSync(fileURLToPath(HERE))
  .filter((f) => /\.(?:ts|js)$/.test(f) && !f.endsWith('.d.ts') && !/^index\./.test(f))
  .sort();

const found: AnyMachineAdapter[] = (await Promise.all(modules.map((f) => import(new URL(f, HERE).href) as Promise<Record<string, unknown>>))).flatMap(
  (m) => Object.values(m).filter(isAdapter),
);

/** The adapter of every machine, keyed by machine id (derived from each adapter's machine). */
export const ADAPTERS: { readonly [machineId: string]: AnyMachineAdapter } = Object.freeze(
  Object.fromEntries(
    found.map((a) => {
      const twin = found.find((b) => b !== a && b.machine.id === a.machine.id);
      if (twin !== undefined) throw new Error(`two adapters for machine ${a.machine.id} in src/testgen/adapters/`);
      return [a.machine.id, a];
    }),
  ),
);
