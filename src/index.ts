/**
 * drmstate: an executable, model-checked model of the object-lifetime and locking protocols of
 * Linux GPU drivers. The one public entry: every export is named here, grouped by area.
 *
 * @example
 *   import { Kernel, DmaFenceCtx } from 'drmstate';
 *   const k = new Kernel();
 *   const fence = DmaFenceCtx.new(k).newFence();
 *   fence.registerCallback('done');
 *   fence.signal(); // { ok: true, value: ['done'], violations: [] }
 */

// Errors and errnos.
export { DrmstateError, type DrmstateErrorCode, type ErrorLocation } from './errors.js';
export { ERRNO_VALUES, MAX_ERRNO, isErrno, negErrno, type Errno } from './errno.js';

// The world: events, outcomes, violations, fingerprints, the log format.
export type { Event } from './world/Event.js';
export type { FailOutcome, OkOutcome, Outcome, OutcomeValue } from './world/Outcome.js';
export { VIOLATION_KINDS, type Violation, type ViolationKind } from './world/Violation.js';
export type { World, WorldSlices } from './world/World.js';
export type { ApplyResult, EventDef, Invariant, Protocol, TaskPart } from './world/Protocol.js';
export { Misuse, type MisuseCode } from './world/Misuse.js';
export type {
  DecodedEvent,
  DecodedEvents,
  EventInput,
  EventSchema,
  FieldInput,
  FieldSpec,
  FieldValue,
  InputEvent,
  InputEvents,
  U64Input,
} from './world/fields.js';
export { expectationFailure, outcomeContains, type Expectation } from './world/expect.js';
export {
  LOG_FORMAT,
  LOG_VERSION,
  outcomeToJson,
  parseLog,
  readLog,
  type LogEntry,
  type LogHeader,
  type LogReader,
  type OutcomeJson,
  type ParsedLog,
} from './world/logFormat.js';

// The composed kernel: apply, replay, snapshots, the Kernel handle.
export {
  EMPTY_WORLD_FINGERPRINT,
  composeKernel,
  type AnyProtocol,
  type ApplyOptions,
  type ComposedKernel,
  type FingerprintOptions,
  type TryApplyResult,
} from './kernel/composeKernel.js';
export { apply, checkEvent, initialWorld, tryApply } from './kernel/apply.js';
export { fingerprint, fingerprintHash } from './kernel/fingerprint.js';
export { TASK_EXIT, TASK_EXIT_EVENT } from './kernel/taskExit.js';
export { Kernel, leaks, type DmaFenceEventInput, type DrmEventInput, type DrmMmEventInput, type KernelEvent, type MmEventInput } from './kernel/Kernel.js';
export { LogWriter } from './kernel/LogWriter.js';
export { KERNEL, PROTOCOLS, eventTypes } from './kernel/protocols.js';
export { replay, replayLog, worldAt, type LogReplayResult, type ReplayMismatch, type ReplayResult } from './kernel/replay.js';
export { SNAPSHOT_FORMAT, readSnapshot, takeSnapshot, type Snapshot } from './kernel/snapshot.js';

// dma_fence: the Rust-style API, reads, invariants.
export { DmaFence, DmaFenceCtx, SignallingSection } from './api/dmaFence.js';
export { Guard, KBox, type Locked, Mutex, MutexGuard, Pending, RcuGuard, RwSemaphore, RwSemaphoreReadGuard, RwSemaphoreWriteGuard, SpinLock, SpinLockGuard, rcuReadLock } from './api/locking.js';
export { lockingProtocol } from './locking/protocol.js';
export type { Result } from './api/result.js';
export { fenceInfo, type FenceFlags, type FenceInfo } from './dma-fence/query.js';
export { dmaFenceInvariants } from './dma-fence/invariants.js';
export { dmaFenceProtocol } from './dma-fence/protocol.js';
// The event union and the world slice (its WorldSlices entry comes with the type).
export type { DmaFenceEvent, DmaFenceEventType } from './dma-fence/events.js';
export type { CbRecord, CbState, ContextRecord, DmaFenceState, DmaFenceTask, FenceRecord, FenceState } from './dma-fence/state.js';
export { dmaFenceLeaks } from './dma-fence/leaks.js';

// mm: the Rust-style API (Mm, MmWithUser, the mmap read guard, VmaRef), the protocol, its invariants.
export { Mm, MmWithUser, MmWithUserAsync, MmWithUserRef, MmapReadGuard, VmaRef, currentMm } from './api/mm.js';
export { mmProtocol } from './mm/protocol.js';
export { mmInvariants } from './mm/invariants.js';
export { mmLeaks } from './mm/leaks.js';
export type { MmEvent, MmEventType } from './mm/events.js';
export type { MmLifecycle, MmRecord, MmState, MmTask, Piece, VmaLifecycle, VmaRecord, VmaRefRecord } from './mm/state.js';
export { DEFAULT_MMAP_BASE, TASK_SIZE } from './mm/layout.js';

// drm_mm: the Rust-style API, reads, invariants.
export { Allocator, Node, Scan, type AllocInner, type AllocatorOptions, type InsertOptions, type ScanOptions } from './api/drmMm.js';
export { drmMmInvariants, drmMmProtocol, isClean, listHoles, listNodes, mmInfo, nodeInfo, type MmInfo, type NodeInfo } from './drm-mm/protocol.js';
export type { DrmMmEvent } from './drm-mm/events.js';
export type { DrmMmState, NodeRecord, NodeState, ScanRecord } from './drm-mm/state.js';
export { drmMmLeaks } from './drm-mm/leaks.js';
export {
  colorAdjustName,
  registerColorAdjust,
  type ColorAdjustAfter,
  type ColorAdjustBefore,
  type ColorAdjustFn,
  type ColorAdjustTable,
} from './drm-mm/colorAdjust.js';

// drm: devices, registration, Devres, files, GEM objects — the Rust-style API and the protocol.
export { BusDevice, Device, Devres, File, GemObject, ObjectRef, Registration, RevocableGuard, UniqueObjectRef } from './api/drm.js';
export { drmProtocol } from './drm/protocol.js';
export { drmInvariants } from './drm/invariants.js';
export { drmLeaks } from './drm/leaks.js';
export type { DrmEvent, DrmEventType } from './drm/events.js';
export type { DrmDeviceRecord, DrmDeviceState, DrmFileRecord, DrmState, GemObjectRecord } from './drm/state.js';

// Statecharts.
export { MACHINES } from './kernel/machines.js';
export { dmaFenceMachine } from '../machines/dmaFence.machine.js';
export { dmaFenceCbMachine } from '../machines/dmaFenceCb.machine.js';
export { signallingSectionMachine } from '../machines/signallingSection.machine.js';
export { drmMmMachine } from '../machines/drmMm.machine.js';
export { drmMmNodeMachine } from '../machines/drmMmNode.machine.js';
export { drmMmScanMachine } from '../machines/drmMmScan.machine.js';
export { deviceMachine } from '../machines/device.machine.js';
export { drmDeviceMachine } from '../machines/drmDevice.machine.js';
export { drmRegistrationMachine } from '../machines/drmRegistration.machine.js';
export { devresMachine } from '../machines/devres.machine.js';
export { drmFileMachine } from '../machines/drmFile.machine.js';
export { drmGemObjectMachine } from '../machines/drmGemObject.machine.js';
export { drmGemHandleMachine } from '../machines/drmGemHandle.machine.js';
export { compileMachine, decide, type Branch, type BranchMeta, type MachineTable } from '../machines/machineTable.js';

// The model checker.
export { check, matchesExpect, type CheckOptions, type CheckProgress, type CheckResult, type Finding, type TraceStep } from './checker/check.js';
export { loadModel, parseModel, RESULT_KINDS, type Model, type ModelExpect, type ModelStep, type ResultKind } from './checker/model.js';
export { assertModel } from './checker/assertModel.js';
export { DEFAULT_CHECK_KERNEL, checkKernelOf, type CheckKernel } from './checker/CheckKernel.js';
export { diffViews, renderFinding, traceToLog, traceToMermaid, traceToNdjson, type ChangePatch } from './checker/trace.js';

// Test generation from the statecharts.
export { ADAPTERS } from './testgen/adapters/index.js';
export type { AnyMachineAdapter, Answer, MachineAdapter, MachineEvent } from './testgen/MachineAdapter.js';
export { generatePaths, type GeneratedPath } from './testgen/generatePaths.js';
export { runMachinePaths, runPath, type MachineCoverage, type PathFailure } from './testgen/runPaths.js';

// Drawing the statecharts.
export { diagramOf, diagramStates, type Diagram, type DiagramState, type DiagramTransition } from './viz/diagramOf.js';
export { transitionLabel } from './viz/transitionLabel.js';
export {
  SELF_LOOPS,
  answerRowText,
  answerTables,
  answerText,
  answerTone,
  keepsState,
  type AnswerRow,
  type AnswerTone,
  type DiagramOptions,
  type SelfLoops,
} from './viz/selfLoops.js';
export {
  drawTrace,
  type DrawnStep,
  type MemoryBlock,
  type MemoryMap,
  type StepTone,
  type TouchedObject,
  type TraceCall,
  type TraceDrawing,
} from './viz/traceDrawing.js';
export { traceToSvg } from './viz/traceToSvg.js';
export { memoryMapText, traceDrawingToMermaid } from './viz/traceToMermaid.js';
export { toMermaid } from './viz/toMermaid.js';
export { toDot } from './viz/toDot.js';
export { SCXML_DRM_NAMESPACE, toScxml } from './viz/toScxml.js';
export { loadViz, toSvg, type Graphviz } from './viz/toSvg.js';

// The command line.
export { main } from './cli/main.js';
export type { CliIo } from './cli/io.js';
export { worldWithModules, type DrmstateRegistrar } from './cli/requireModules.js';
