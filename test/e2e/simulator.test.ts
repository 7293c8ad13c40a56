/**
 * The web simulator in a real browser: Debian's chromium, driven by playwright-core (no browser
 * download). Runs when a `chromium` is on the PATH (or CHROMIUM names one); otherwise it says
 * plainly that it did not run. On a failure it saves a screenshot of each panel under
 * test/e2e/screenshots/; with UPDATE_DOCS=1 it writes the screenshots docs/simulator.md shows.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../../src/checker/check.js';
import { loadModel } from '../../src/checker/model.js';
import { traceToNdjson } from '../../src/checker/trace.js';
import { type RunningServer, startServer } from '../../src/cli/serve.js';

const ROOT = join(import.meta.dirname, '../..');
const MODELS = join(ROOT, 'models');
const SHOTS = join(import.meta.dirname, 'screenshots');
const DOC_SHOTS = join(ROOT, 'docs', 'img');

/** The chromium binary: CHROMIUM, or `chromium` / `chromium-browser` on the PATH. */
function findChromium(): string | undefined {
  if (process.env.CHROMIUM !== undefined && existsSync(process.env.CHROMIUM)) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH ?? '').split(delimiter))
    for (const name of ['chromium', 'chromium-browser']) if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

const CHROMIUM = findChromium();
if (CHROMIUM === undefined) process.stderr.write('test/e2e/simulator.test.ts: no chromium on the PATH, so the browser test did not run (apt-get install chromium, or set CHROMIUM)\n');

const PANELS = ['panel-steps', 'panel-outcome', 'panel-tasks', 'panel-fences', 'panel-memory', 'panel-statechart', 'panel-world'];

/** A folder with two models and a counterexample trace the checker wrote. */
function servedFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drmstate-e2e-'));
  mkdirSync(join(dir, 'models'));
  for (const f of ['fence-add-callback.put-before-add.model.json', 'drm-mm-eviction-scan.model.json']) copyFileSync(join(MODELS, f), join(dir, 'models', f));
  const r = check(loadModel(join(MODELS, 'fence-add-callback.put-before-add.model.json')));
  if (!('finding' in r)) throw new Error('the buggy model found nothing');
  writeFileSync(join(dir, 'put-before-add.trace.ndjson'), traceToNdjson(r.finding));
  return dir;
}

describe.runIf(CHROMIUM !== undefined)('the web simulator in chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    server = await startServer(servedFolder(), 0);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(server.url);
  }, 60_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || page === undefined) return;
    mkdirSync(SHOTS, { recursive: true });
    for (const id of PANELS) {
      const p = page.locator(`#${id}`);
      if (await p.isVisible()) await p.screenshot({ path: join(SHOTS, `${ctx.task.name.replace(/\W+/g, '-')}-${id}.png`) });
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const stepLabel = (): Promise<string> => page.locator('#step-label').innerText();

  it('lists the folder and opens a model with its tasks\' next steps as buttons', async () => {
    await page.locator('button.file[data-file="models/fence-add-callback.put-before-add.model.json"]').click();
    await expect.poll(() => page.locator('#title').innerText()).toContain('fence-add-callback.put-before-add.model.json (model)');
    const labels = await page.locator('button.choice').allInnerTexts();
    expect(labels).toEqual(expect.arrayContaining(['irq: dma_fence_signal f', 'user: dma_fence_add_callback f wake']));
    expect(await stepLabel()).toBe('step 0 of 0: setup');
    expect(await page.locator('#fences tr[data-fence="f"]').innerText()).toContain('unsignaled');
  });

  it('steps a task: the outcome, the fences and the highlighted statechart state follow', async () => {
    await page.locator('button.choice[data-task="irq"]').click();
    expect(await stepLabel()).toBe('step 1 of 1: irq: dma_fence_signal f');
    expect(await page.locator('#outcome').innerText()).toContain('irq: dma_fence_signal f → ok');
    expect(await page.locator('#fences tr[data-fence="f"]').innerText()).toContain('signaled');
    await page.locator('#object').selectOption('dmaFence.fences.f');
    await expect.poll(() => page.locator('#statechart-state').innerText()).toBe('f is signaled (dma_fence)');
    await expect.poll(() => page.locator('#statechart svg g.node.current title').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.locator('#statechart svg g.node.current title').textContent()).toMatch(/signaled$/);
    if (process.env.UPDATE_DOCS === '1') {
      mkdirSync(DOC_SHOTS, { recursive: true });
      await page.screenshot({ path: join(DOC_SHOTS, 'simulator-model.png'), fullPage: true });
    }
  });

  it('undoes the step, and the slider shows any step so far', async () => {
    await page.locator('button.choice[data-task="irq"]').click();
    expect(await stepLabel()).toBe('step 2 of 2: irq: dma_fence_put f');
    await page.locator('#slider').fill('1');
    expect(await stepLabel()).toBe('step 1 of 2: irq: dma_fence_signal f');
    await page.locator('#slider').fill('2');
    await page.locator('#undo').click();
    expect(await stepLabel()).toBe('step 1 of 1: irq: dma_fence_signal f');
    await page.locator('#undo').click();
    expect(await stepLabel()).toBe('step 0 of 0: setup');
    expect(await page.locator('#fences tr[data-fence="f"]').innerText()).toContain('unsignaled');
  });

  it('plays the checker\'s counterexample to its use after free', async () => {
    await page.locator('button.file[data-file="put-before-add.trace.ndjson"]').click();
    await expect.poll(() => page.locator('#title').innerText()).toContain('put-before-add.trace.ndjson (scenario)');
    await page.locator('#play').click();
    await expect.poll(() => page.locator('#outcome').innerText(), { timeout: 20_000 }).toContain('use_after_free');
    expect(await page.locator('#outcome .violation').first().innerText()).toMatch(/^use_after_free: /);
    expect(await page.locator('#status').innerText()).not.toContain('differs');
    if (process.env.UPDATE_DOCS === '1') await page.screenshot({ path: join(DOC_SHOTS, 'simulator-trace.png'), fullPage: true });
  });

  it('draws the drm_mm memory map of a model, the node placed highlighted', async () => {
    await page.locator('button.file[data-file="models/drm-mm-eviction-scan.model.json"]').click();
    await expect.poll(() => page.locator('#title').innerText()).toContain('drm-mm-eviction-scan.model.json');
    expect(await page.locator('#memory svg.memmap rect.node').count()).toBe(2);
    expect(await page.locator('#memory .mm-name').first().innerText()).toBe('vram: [0, 16384)');
    // The eviction task's atomic block evicts a and places c where a was.
    await page.locator('button.choice[data-task="evict"]').click();
    expect(await page.locator('#memory .mm-nodes').first().textContent()).toBe('c@0+8192 ◀  b@8192+8192');
    expect(await page.locator('#memory svg.memmap rect.node.touched title').textContent()).toBe('c @ 0 + 8192');
    if (process.env.UPDATE_DOCS === '1') await page.locator('#panel-memory').screenshot({ path: join(DOC_SHOTS, 'simulator-memory.png') });
    expect(errors).toEqual([]);
  });
});
