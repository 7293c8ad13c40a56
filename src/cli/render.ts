import type { Event } from '../world/Event.js';
import { type OutcomeJson, eventToJson, outcomeToJson } from '../world/logFormat.js';
import type { Outcome } from '../world/Outcome.js';
import type { Violation } from '../world/Violation.js';

function show(v: unknown): string {
  if (typeof v === 'string') return /^[A-Za-z0-9_.-]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** One event as `type field=value …`. */
export function renderEvent(event: Event): string {
  const e = eventToJson(event) as Record<string, unknown>;
  const fields = Object.keys(e)
    .filter((k) => k !== 'type')
    .map((k) => `${k}=${show(e[k])}`);
  return [String(e.type), ...fields].join(' ');
}

/** One outcome as `ok field=value …`, `EINVAL`, `blocked` or `refused`, then its violations, one per line. */
export function renderOutcome(o: OutcomeJson): string {
  const head = o.ok ? 'ok' : o.blocked ? 'blocked' : typeof o.errno === 'string' ? o.errno : 'refused';
  const fields = Object.keys(o)
    .filter((k) => !['ok', 'errno', 'blocked', 'violations'].includes(k))
    .map((k) => `${k}=${show(o[k])}`);
  const lines = [[head, ...fields].join(' ')];
  for (const v of (o.violations as { kind: string; message: string }[] | undefined) ?? []) lines.push(`    ! ${v.kind}: ${v.message}`);
  return lines.join('\n');
}

/** One violation for JSON output: `kind`, `message` and, when it names any, `objects`. */
export function violationToJson(v: Violation): { kind: string; message: string; objects?: readonly string[] } {
  return v.objects !== undefined && v.objects.length > 0 ? { kind: v.kind, message: v.message, objects: v.objects } : { kind: v.kind, message: v.message };
}

/**
 * An outcome as `run --json` prints it: the log's JSON form (`outcomeToJson`) with each violation's
 * `objects` kept. ABSTRACTION: the log (format version 1) records violations without `objects`.
 */
export function outcomeForCli(outcome: Outcome): OutcomeJson {
  const o = outcomeToJson(outcome);
  if (outcome.violations.length === 0) return o;
  return { ...o, violations: outcome.violations.map(violationToJson) };
}
