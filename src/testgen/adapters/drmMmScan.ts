import type { AnyMachineSnapshot } from 'xstate';
import { drmMmScanMachine } from '../../../machines/drmMmScan.machine.js';
import { heldBlocks } from '../../drm-mm/state.js';
import { Kernel } from '../../kernel/Kernel.js';
import type { Outcome } from '../../world/Outcome.js';
import { leafOf } from '../generatePaths.js';
import { type Answer, type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';

/**
 * The system a `drm_mm_scan` path runs on: scan `s` under test, allocator `m` with eight 10-unit
 * blocks, `o` (empty), `full` (no hole), `dead` (taken down), and a helper scan `h`.
 */
export interface ScanSut {
  readonly kernel: Kernel;
  /** The blocks `s` holds, in the order they were added. */
  readonly held: string[];
  /** The allocator `s` was last initialised on. */
  on: string | undefined;
}

const SCAN = 's';
const BLOCKS = ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7'];

function call(sut: ScanSut, event: Record<string, unknown> & { type: string }): Outcome {
  return sut.kernel.callJson(event);
}

function must(o: Outcome, what: string): void {
  expectThat(o.ok, `${what} must succeed, got ${JSON.stringify(o.violations.map((v) => v.kind))}`);
}

/** drm_mm_scan_init_with_range of `scan` for `size` in [start, end). */
function init(sut: ScanSut, mm: string, size = '10', start = '0', end = '100', scan = SCAN): Outcome {
  const r = call(sut, { type: 'drm_mm_scan_init_with_range', scan, mm, size, alignment: '0', color: '0', range_start: start, range_end: end, mode: 'best' });
  if (r.ok && scan === SCAN) sut.on = mm;
  return r;
}

/** Makes sure the idle `s` scans `m` (initialising it again when it scans another allocator). */
function onM(sut: ScanSut): void {
  if (sut.on !== 'm') must(init(sut, 'm'), 'initialising s on m');
}

function add(sut: ScanSut): Outcome {
  const block = BLOCKS.find((b) => !sut.held.includes(b));
  expectThat(block !== undefined, 'a block is left to add');
  const r = call(sut, { type: 'drm_mm_scan_add_block', scan: SCAN, node: block as string });
  if (r.ok) sut.held.push(block as string);
  return r;
}

function removeTop(sut: ScanSut): Outcome {
  const top = sut.held[sut.held.length - 1] as string;
  const r = call(sut, { type: 'drm_mm_scan_remove_block', scan: SCAN, node: top });
  if (r.ok) sut.held.pop();
  return r;
}

/** drm_mm_scan_init_with_range of `s` on `m` while the helper scan holds a block of `m`. */
function initWhileAnotherScans(sut: ScanSut): Outcome {
  must(init(sut, 'm', '10', '0', '100', 'h'), 'initialising the helper scan');
  const spare = BLOCKS.find((b) => !sut.held.includes(b)) as string;
  must(call(sut, { type: 'drm_mm_scan_add_block', scan: 'h', node: spare }), 'the helper scan taking a block');
  const r = init(sut, 'm');
  must(call(sut, { type: 'drm_mm_scan_remove_block', scan: 'h', node: spare }), 'the helper scan giving it back');
  return r;
}

/** The init events every state explores, with the situation each fact names. */
function inits(last: MachineEvent): MachineEvent[] {
  const type = 'drm_mm_scan_init_with_range';
  return [{ type, allocatorTakenDown: true }, { type, rangeEmpty: true }, { type, sizeInvalid: true }, { type, scanActive: true }, last];
}

const EVENTS: { readonly [state: string]: readonly MachineEvent[] } = {
  zeroed: [...inits({ type: 'drm_mm_scan_init_with_range' }), { type: 'drm_mm_scan_add_block' }, { type: 'drm_mm_scan_remove_block' }, { type: 'drm_mm_scan_color_evict' }],
  idle: [
    ...inits({ type: 'drm_mm_scan_init_with_range' }),
    { type: 'drm_mm_scan_add_block' },
    { type: 'drm_mm_scan_remove_block' },
    { type: 'drm_mm_scan_color_evict', allocatorTakenDown: true },
    { type: 'drm_mm_scan_color_evict', hitHoleMissing: true },
    { type: 'drm_mm_scan_color_evict' },
  ],
  scanning: [
    ...inits({ type: 'drm_mm_scan_init_with_range' }),
    { type: 'drm_mm_scan_add_block' },
    { type: 'drm_mm_scan_remove_block', lastBlock: true },
    { type: 'drm_mm_scan_remove_block' },
    { type: 'drm_mm_scan_color_evict' },
  ],
};

/** Runs `drm_mm_scan` paths against the kernel handle. */
export const drmMmScanAdapter: MachineAdapter<ScanSut> = {
  machine: drmMmScanMachine,
  events: (s: AnyMachineSnapshot): readonly MachineEvent[] => EVENTS[leafOf(s)] ?? [],
  setup(): ScanSut {
    const kernel = new Kernel();
    const sut: ScanSut = { kernel, held: [], on: undefined };
    must(call(sut, { type: 'drm_mm_init', mm: 'm', start: '0', size: '100' }), 'drm_mm_init of m');
    BLOCKS.forEach((node, i) => must(call(sut, { type: 'drm_mm_reserve_node', mm: 'm', node, start: String(10 * i), size: '10', color: '0' }), node));
    must(call(sut, { type: 'drm_mm_init', mm: 'o', start: '0', size: '100' }), 'drm_mm_init of o');
    must(call(sut, { type: 'drm_mm_init', mm: 'full', start: '0', size: '10' }), 'drm_mm_init of full');
    must(call(sut, { type: 'drm_mm_reserve_node', mm: 'full', node: 'f', start: '0', size: '10', color: '0' }), 'filling full');
    must(call(sut, { type: 'drm_mm_init', mm: 'dead', start: '0', size: '100' }), 'drm_mm_init of dead');
    must(call(sut, { type: 'drm_mm_takedown', mm: 'dead' }), 'taking dead down');
    return sut;
  },
  exec(sut, event, _branch, snapshot): Answer {
    const state = leafOf(snapshot);
    switch (event.type) {
      case 'drm_mm_scan_init_with_range':
        if (event.allocatorTakenDown === true) return init(sut, 'dead');
        if (event.rangeEmpty === true) return init(sut, 'm', '10', '7', '7');
        if (event.sizeInvalid === true) return init(sut, 'm', '0');
        if (event.scanActive === true) return state === 'scanning' ? init(sut, 'm') : initWhileAnotherScans(sut);
        // From scanning, an allocator no scan is active on: only the blocks s holds object.
        return init(sut, state === 'scanning' ? 'o' : 'm');
      case 'drm_mm_scan_add_block':
        if (state === 'zeroed') return call(sut, { type: event.type, scan: SCAN, node: 'b0' });
        if (state === 'idle') onM(sut);
        return add(sut);
      case 'drm_mm_scan_remove_block':
        if (state !== 'scanning') return call(sut, { type: event.type, scan: SCAN, node: 'b0' });
        if (event.lastBlock === true) {
          while (sut.held.length > 1) must(removeTop(sut), 'taking back a block above the last');
          return removeTop(sut);
        }
        if (sut.held.length === 1) must(add(sut), 'adding a second block');
        return removeTop(sut);
      case 'drm_mm_scan_color_evict':
        if (state === 'idle') {
          if (event.allocatorTakenDown === true) {
            const t = `t${sut.kernel.seq}`;
            must(call(sut, { type: 'drm_mm_init', mm: t, start: '0', size: '100' }), 'a temporary allocator');
            must(init(sut, t), 'initialising s on it');
            must(call(sut, { type: 'drm_mm_takedown', mm: t }), 'taking it down');
          } else if (event.hitHoleMissing === true) must(init(sut, 'full'), 'initialising s on full');
          else onM(sut);
        }
        return call(sut, { type: event.type, scan: SCAN });
      default:
        throw new Error(`no executor for ${event.type}`);
    }
  },
  checks: {
    zeroed: (sut) => {
      expectThat(!sut.kernel.world.drmMm.scans.has(SCAN), 'a zeroed scan has no record');
      const probe = sut.kernel.fork().call({ type: 'drm_mm_scan_color_evict', scan: SCAN });
      expectThat(!probe.ok && probe.violations[0]?.kind === 'bug_on', 'a zeroed scan refuses drm_mm_scan_color_evict');
    },
    idle: (sut) => {
      const sc = sut.kernel.world.drmMm.scans.get(SCAN);
      expectThat(sc !== undefined && sc.held === null, 'an idle scan holds no block');
    },
    scanning: (sut) => {
      const sc = sut.kernel.world.drmMm.scans.get(SCAN);
      expectThat(sc !== undefined && JSON.stringify(heldBlocks(sc)) === JSON.stringify([...sut.held].reverse()), 'the scan holds the blocks added, most recent first');
      const probe = sut.kernel.fork().call({ type: 'drm_mm_scan_color_evict', scan: SCAN });
      expectThat(!probe.ok && probe.violations[0]?.kind === 'bug_on', 'a scanning scan refuses drm_mm_scan_color_evict');
    },
  },
};
