/**
 * Kernel errno names used in outcomes, with their numeric values from
 * `include/uapi/asm-generic/errno-base.h` and `errno.h`.
 */
export const ERRNO_VALUES = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  EDEADLK: 35,
  ENOSYS: 38,
  ETIME: 62,
  ENOLINK: 67,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ECANCELED: 125,
  ERESTARTSYS: 512,
} as const;

/** The kernel name of an errno (`EINVAL`, `ENOSPC`, …). */
export type Errno = keyof typeof ERRNO_VALUES;

/** Largest errno value the kernel encodes in an error pointer (`MAX_ERRNO`, include/linux/err.h). */
export const MAX_ERRNO = 4095;

/**
 * Returns whether a string is a known errno name.
 *
 * @example
 *   isErrno('ENOSPC'); // true
 */
export function isErrno(name: string): name is Errno {
  return Object.prototype.hasOwnProperty.call(ERRNO_VALUES, name);
}

/**
 * The negative value the kernel returns or stores for an errno (`-EDEADLK` is -35): what
 * `fence->error` or a C function's `int` return holds.
 *
 * @example
 *   negErrno('EDEADLK'); // -35
 */
export function negErrno(name: Errno): number {
  return -ERRNO_VALUES[name];
}
