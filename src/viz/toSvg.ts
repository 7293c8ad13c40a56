import { instance, type Viz } from '@viz-js/viz';
import type { AnyStateMachine } from 'xstate';
import type { DiagramOptions } from './selfLoops.js';
import { toDot } from './toDot.js';

/** A Graphviz instance (from {@link loadViz}) that {@link toSvg} lays graphs out with. */
export type Graphviz = Viz;

/**
 * Loads Graphviz, compiled to WebAssembly by `@viz-js/viz` (no native build, no network). Loading
 * takes a moment, so a caller drawing several machines loads once and hands the instance to each
 * {@link toSvg}; the caller owns it, and this module keeps nothing.
 *
 * @example
 *   const viz = await loadViz();
 *   const svgs = await Promise.all(Object.values(MACHINES).map((m) => toSvg(m, { viz })));
 */
export function loadViz(): Promise<Graphviz> {
  return instance();
}

/**
 * Draws a statechart as SVG: the {@link toDot} graph laid out by Graphviz's `dot`, run in-process.
 * It uses the `viz` instance given (see {@link loadViz}); without one, it loads its own for this call;
 * `selfLoops` folds, draws or hides the branches that keep their state, as in {@link toDot}.
 *
 * @throws {Error} if Graphviz rejects the graph (a bug in {@link toDot}).
 * @example
 *   const svg = await toSvg(MACHINES['dma_fence'], { viz: await loadViz() }); // '<?xml version="1.0" …<svg …'
 */
export async function toSvg(machine: AnyStateMachine, options: DiagramOptions & { readonly viz?: Graphviz } = {}): Promise<string> {
  const viz = options.viz ?? (await loadViz());
  return viz.renderString(toDot(machine, options.selfLoops !== undefined ? { selfLoops: options.selfLoops } : {}), { format: 'svg', engine: 'dot' });
}
