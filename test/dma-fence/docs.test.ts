import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CB_TABLE, CONTEXT_TABLE, FENCE_TABLE, SECTION_TABLE } from '../../src/dma-fence/apply.js';
import { DMA_FENCE_EVENTS } from '../../src/dma-fence/events.js';
import { Kernel } from '../../src/kernel/Kernel.js';
import { outcomeToJson } from '../../src/world/logFormat.js';

const PAGE = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'dma-fence.md'), 'utf8');

function blocks(lang: string): string[] {
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g');
  return [...PAGE.matchAll(re)].map((m) => m[1] as string);
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe('docs/dma-fence.md (checked against Kernel.call)', () => {
  it('gives each outcome of the worked scenario exactly as the model answers it', () => {
    const [scenario] = blocks('ndjson');
    const [expected] = blocks('json');
    expect(scenario).toBeDefined();
    expect(expected).toBeDefined();
    const events = lines(scenario as string);
    const outcomes = lines(expected as string);
    expect(outcomes.length).toBe(events.length);
    const k = new Kernel();
    events.forEach((line, i) => {
      const got = JSON.stringify(outcomeToJson(k.call(JSON.parse(line))));
      expect({ line: i + 1, outcome: got }).toEqual({ line: i + 1, outcome: outcomes[i] });
    });
  });

  it('shows the CLI command that runs a scenario', () => {
    expect(PAGE).toContain('npx drmstate run scenario.ndjson');
  });

  it('draws every state of the four machines in mermaid', () => {
    const diagrams = blocks('mermaid');
    expect(diagrams.length).toBe(4);
    const leaf = (s: string): string => s.split('.').pop() as string;
    for (const [i, table] of [FENCE_TABLE, CONTEXT_TABLE, CB_TABLE, SECTION_TABLE].entries()) {
      for (const state of table.states) expect(diagrams[i]).toContain(leaf(state));
    }
  });

  it('mentions every dma_fence event', () => {
    for (const type of Object.keys(DMA_FENCE_EVENTS)) expect(PAGE).toContain(`\`${type}`);
  });
});
