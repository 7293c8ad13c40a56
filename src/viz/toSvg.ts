import { instance, type Viz } from '@viz-js/viz';
import type { AnyStateMachine } from 'xstate';
import { toDot } from './toDot.js';

let viz: Promise<Viz> | undefined;

/**
 * Draws a statechart as SVG: the {@link toDot} graph laid out by Graphviz's `dot`, run in-process
 * from `@viz-js/viz` (Graphviz compiled to WebAssembly: no native build, no network). The Graphviz
 * instance is created once and reused.
 *
 * @throws {Error} if Graphviz rejects the graph (a bug in {@link toDot}).
 * @example
 *   const svg = await toSvg(MACHINES['dma_fence']); // '<?xml version="1.0" …<svg …'
 */
export async function toSvg(machine: AnyStateMachine): Promise<string> {
  viz ??= instance();
  return (await viz).renderString(toDot(machine), { format: 'svg', engine: 'dot' });
}
