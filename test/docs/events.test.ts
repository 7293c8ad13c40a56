import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../../src/kernel/protocols.js';
import { REGENERATE_EVENTS_DOC, renderEventsDoc } from './renderEventsDoc.js';

const EVENTS_MD = join(import.meta.dirname, '..', '..', 'docs', 'events.md');

describe('renderEventsDoc', () => {
  it('renders the same text every time', () => {
    expect(renderEventsDoc()).toBe(renderEventsDoc());
  });

  it('lists every event of every registered protocol with its kernel function', () => {
    const doc = renderEventsDoc();
    let count = 0;
    for (const p of PROTOCOLS) {
      for (const [type, def] of Object.entries(p.events)) {
        count++;
        expect(doc).toContain(`### \`${type}\``);
        expect(doc).toContain(`- **Kernel:** ${def.kernel}`);
      }
    }
    expect(count).toBeGreaterThan(0);
  });

  it('names the errnos and violations of dma_fence_wait_timeout', () => {
    const doc = renderEventsDoc();
    const section = doc.slice(doc.indexOf('### `dma_fence_wait_timeout`'));
    expect(section).toMatch(/\*\*Errnos:\*\* `EINVAL`/);
    expect(section).toMatch(/\*\*Violations:\*\* `warn_on`/);
    expect(section).toContain('| `timeout` | integer | yes |');
  });

  it('matches the committed docs/events.md', () => {
    const rendered = renderEventsDoc();
    if (process.env.UPDATE_DOCS === '1') writeFileSync(EVENTS_MD, rendered);
    const committed = existsSync(EVENTS_MD) ? readFileSync(EVENTS_MD, 'utf8') : '';
    expect(committed, `docs/events.md is out of date with the protocols' EventDefs: run \`${REGENERATE_EVENTS_DOC}\``).toBe(rendered);
  });
});
