import { PROTOCOLS } from '../../src/kernel/protocols.js';
import { TASK_EXIT, TASK_EXIT_EVENT } from '../../src/kernel/taskExit.js';
import type { FieldSpec } from '../../src/world/fields.js';
import type { EventDef } from '../../src/world/Protocol.js';

/** The command that rewrites docs/events.md from the protocols' event definitions. */
export const REGENERATE_EVENTS_DOC = 'UPDATE_DOCS=1 npx vitest run test/docs';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function kindOf(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'name':
      return 'name (string)';
    case 'u64':
      return 'u64 (decimal string)';
    case 'int':
      return 'integer';
    case 'bool':
      return 'boolean';
    case 'enum':
      return `one of ${spec.values.map((v) => `\`${v}\``).join(', ')}`;
    case 'json':
      return 'JSON value';
  }
}

function codeList(items: readonly string[], none: string): string {
  if (items.length === 0) return none;
  return items
    .map((item) => {
      // An entry may carry a note in parentheses: `warn_on (num == 0)`.
      const m = /^([A-Za-z0-9_]+)(.*)$/.exec(item);
      return m ? `\`${m[1]}\`${m[2]}` : item;
    })
    .join('; ');
}

function renderEvent(type: string, def: EventDef): string[] {
  const out: string[] = [`### \`${type}\``, '', def.summary, ''];
  out.push(`- **Kernel:** ${def.kernel}`);
  out.push(`- **Rust abstraction:** ${def.rust ?? 'none'}`);
  out.push(`- **Outcome fields** (besides \`ok\`): ${codeList(def.returns, 'none')}`);
  out.push(`- **Errnos:** ${codeList(def.errnos, 'none')}`);
  out.push(`- **Violations:** ${codeList(def.violations, 'none')}`);
  out.push('');
  const fields = Object.entries(def.fields);
  if (fields.length === 0) {
    out.push('No fields besides `type`.', '');
    return out;
  }
  out.push('| Field | Kind | Required | Meaning |', '| --- | --- | --- | --- |');
  for (const [name, spec] of fields) {
    out.push(`| \`${name}\` | ${cell(kindOf(spec))} | ${spec.optional ? 'no' : 'yes'} | ${cell(spec.doc ?? '')} |`);
  }
  out.push('');
  return out;
}

/**
 * Renders docs/events.md: every event of every registered protocol (in `PROTOCOLS` order, each
 * protocol's events in definition order) with its fields, outcome fields, errnos, violations, kernel
 * function and Rust abstraction, read from the protocols' `EventDef`s. Deterministic.
 */
export function renderEventsDoc(): string {
  const out: string[] = [
    '# Events reference',
    '',
    '<!-- Generated from the EventDefs of every protocol in src/kernel/protocols.ts by',
    `     test/docs/renderEventsDoc.ts. Do not edit by hand: run \`${REGENERATE_EVENTS_DOC}\`. -->`,
    '',
    'Every event drmstate answers: one kernel call, named after the kernel function, with fields named',
    'after its C parameters. An outcome is `{ "ok": true, …fields }`, `{ "ok": false, "errno": "…" }`,',
    '`{ "ok": false, "blocked": true }`, or `{ "ok": false }` for a call the model refuses; any call may',
    'carry `violations` (`{ kind, message }`), and a call that ran callbacks lists them in `callbacks`, in',
    'the order they ran. u64 values are decimal strings in JSON and bigints in TypeScript. A refused call',
    '(`(refused)` below) changes nothing; a WARN is recorded and the call carries on as the kernel does.',
    '',
    '## Index',
    '',
    '| Event | Protocol | Kernel function |',
    '| --- | --- | --- |',
  ];
  for (const p of PROTOCOLS) {
    for (const [type, def] of Object.entries(p.events)) out.push(`| [\`${type}\`](#${type}) | \`${String(p.key)}\` | ${cell(def.kernel)} |`);
  }
  out.push(`| [\`${TASK_EXIT}\`](#${TASK_EXIT}) | (kernel) | ${cell(TASK_EXIT_EVENT.kernel)} |`);
  out.push('');
  for (const p of PROTOCOLS) {
    const events = Object.entries(p.events);
    out.push(`## Protocol \`${String(p.key)}\``, '', `${events.length} events.`, '');
    for (const [type, def] of events) out.push(...renderEvent(type, def));
  }
  out.push('## Kernel events', '', 'Answered by the kernel itself: each protocol checks its own part of the task.', '');
  out.push(...renderEvent(TASK_EXIT, TASK_EXIT_EVENT));
  return out.join('\n').replace(/\n+$/, '') + '\n';
}
