import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';
import type { Branch } from '../../machines/machineTable.js';
import type { Violation } from '../world/Violation.js';

/** A machine event with its payload (`{ type: 'dma_fence_set_error', error: -5 }`). */
export type MachineEvent = EventObject & { readonly [field: string]: unknown };

/** What the implementation answered to one machine event, in the shape every API result shares. */
export interface Answer {
  readonly ok: boolean;
  readonly errno?: string;
  readonly blocked?: true;
  readonly violations: readonly Violation[];
}

/**
 * Binds a statechart to the implementation, so that paths generated from the machine can be run
 * against the real API: how to build a fresh system, how to perform each event through the API, and
 * what the API must answer in each state.
 */
export interface MachineAdapter<Sut = unknown> {
  readonly machine: AnyStateMachine;
  /** The events to explore from a state (payload cases included), bounded so the graph is finite. */
  events(snapshot: AnyMachineSnapshot): readonly MachineEvent[];
  /** A fresh system under test, in the machine's initial state. */
  setup(): Sut;
  /**
   * Performs one event through the API and returns its answer. It may throw (an assertion) when an
   * answer contradicts `branch`, the branch the machine takes.
   */
  exec(sut: Sut, event: MachineEvent, branch: Branch, snapshot: AnyMachineSnapshot): Answer;
  /**
   * Observable checks per state (dotted path; a compound state's check runs in each of its leaves).
   * Each throws when what the API answers in that state is wrong. Checks must not change the system
   * (use `Kernel.fork()` for probes that would).
   */
  readonly checks: { readonly [state: string]: (sut: Sut, snapshot: AnyMachineSnapshot) => void };
}

/** Throws when a condition the path test expects does not hold. */
export function expectThat(cond: boolean, message: string): void {
  if (!cond) throw new Error(message);
}

/** An adapter whatever its system under test: what registries and runners take. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMachineAdapter = MachineAdapter<any>;
