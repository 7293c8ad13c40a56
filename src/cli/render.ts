import type { Event } from '../world/Event.js';
import { type OutcomeJson, eventToJson } from '../world/logFormat.js';

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
