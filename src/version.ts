/**
 * drmstate's own version, as in package.json (a test keeps the two equal). Log headers record it.
 */
export const DRMSTATE_VERSION = '0.1.0';
