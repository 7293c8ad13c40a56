/**
 * Helpers of the benchmarks that run native programs (SPIN's pan, the C port of drm_mm).
 */
import { spawnSync } from 'node:child_process';

/**
 * Whether `cmd` is on the PATH, as the shell's `command -v` finds it.
 *
 * @example
 *   if (!onPath('cc')) console.log('skipped: cc is not on the PATH');
 */
export function onPath(cmd: string): boolean {
  if (!/^[\w.+-]+$/.test(cmd)) throw new Error(`onPath: ${JSON.stringify(cmd)} is not a plain command name`);
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
