import { describe, expect, it } from 'vitest';
import { check, matchesExpect } from '../../src/checker/check.js';
import { loadModel } from '../../src/checker/model.js';
import { traceToLog } from '../../src/checker/trace.js';
import { replayLog } from '../../src/kernel/replay.js';

/** The drm protocol's bundled models, each correct design beside its known-buggy variant. */
const MODELS = [
  'drm-remove-with-open-file',
  'drm-remove-with-open-file.registration-drop-only',
  'devres-after-unbind',
  'devres-after-unbind.raw-pointer',
  'drm-unplug-srcu',
  'drm-unplug-srcu.unplug-inside-enter',
  'gem-two-files',
  'gem-two-files.put-per-handle',
  'gem-lookup',
  'gem-lookup.without-put',
];

describe('the drm models', () => {
  for (const name of MODELS) {
    it(`${name} gives its expect, and a finding's trace replays`, () => {
      const m = loadModel(`models/${name}.model.json`);
      const r = check(m);
      expect(matchesExpect(r, m.expect), `${name}: ${r.result}`).toBe(true);
      expect(r.result).toBe(m.expect?.result ?? 'ok');
      if ('finding' in r) {
        const replayed = replayLog(traceToLog(r.finding));
        expect(replayed.ok).toBe(true);
        expect(replayed.entries).toBeGreaterThan(0);
      }
    });
  }
});
