/**
 * One kernel call as plain JSON-able data: `type` is the kernel function's name and the other
 * fields are named after its C parameters. u64 fields are decimal strings in JSON; the API also
 * takes bigints and safe integers.
 */
export interface Event {
  readonly type: string;
  readonly [field: string]: unknown;
}
