import { DrmstateError } from '../errors.js';

/** The kinds of library misuse a call can be answered with as data (see {@link Misuse}). */
export type MisuseCode = 'MALFORMED_EVENT' | 'UNKNOWN_OBJECT';

/**
 * Library misuse found while applying an event, as plain data: no `Error` is built and no stack
 * is captured, so explorers (the model checker, which names objects before some interleavings
 * create them) pay nothing for it. Protocols throw it; the kernel's `apply` turns it into a
 * {@link DrmstateError} and its `tryApply` returns it.
 *
 * ABSTRACTION: not a kernel answer. The kernel would dereference a pointer that was never
 * initialised; the model says which name was never created.
 */
export class Misuse {
  constructor(
    readonly code: MisuseCode,
    /** What is wrong and how to fix it. */
    readonly message: string,
    /** The event field at fault. */
    readonly field?: string,
    /** The name the event used, for `UNKNOWN_OBJECT`. */
    readonly object?: string,
  ) {}

  /** The {@link DrmstateError} that `apply` throws for this misuse. */
  toError(): DrmstateError {
    return new DrmstateError(this.code, this.message, this.field === undefined ? {} : { field: this.field });
  }
}

/**
 * The misuse of naming an object that was never created (`UNKNOWN_OBJECT`), for protocols'
 * lookup helpers to throw.
 */
export function unknownObject(message: string, field: string, object: string): Misuse {
  return new Misuse('UNKNOWN_OBJECT', message, field, object);
}
