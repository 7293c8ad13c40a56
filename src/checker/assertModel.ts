import { type CheckOptions, check, matchesExpect } from './check.js';
import { type Model, loadModel } from './model.js';
import { renderFinding } from './trace.js';

/**
 * Checks a model (or a model file) and throws unless the result matches its `expect` (or is `ok`
 * where it has none): for a user's own test suite. The error's message is the numbered trace.
 *
 * @throws {Error} naming the model, the result and, for a finding, its numbered trace.
 * @throws {DrmstateError} `BAD_MODEL` for a malformed model.
 * @example
 *   it('my driver never frees a fence it still uses', () => assertModel('models/my-driver.model.json'));
 */
export function assertModel(model: Model | string, options: CheckOptions = {}): void {
  const m = typeof model === 'string' ? loadModel(model) : model;
  const r = check(m, options);
  if (matchesExpect(r, m.expect)) return;
  const wanted = m.expect === undefined ? 'ok' : JSON.stringify(m.expect);
  const got = 'finding' in r ? `${r.result} (${r.finding.invariant ?? r.finding.kind}) at depth ${r.depth}` : `${r.result} after ${r.states} states`;
  const told = 'finding' in r ? `\n\n${renderFinding(r.finding, m, options.kernel !== undefined ? { kernel: options.kernel } : {})}` : '';
  throw new Error(`model ${m.model}: expected ${wanted}, got ${got}${told}`);
}
