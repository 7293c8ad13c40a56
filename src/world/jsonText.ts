/**
 * Matching a value against JSON text in place: whether `JSON.stringify` of the value would write
 * exactly the characters found at a position, without writing them (a replay hot path: every
 * recorded outcome is checked this way before any line is parsed in full).
 */

/**
 * Whether `s` stands in `text` at `pos`, compared code unit by code unit (cheaper than
 * `startsWith` with a position on the sliced strings that log lines are).
 */
export function sameAt(text: string, pos: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (text.charCodeAt(pos + i) !== s.charCodeAt(i)) return false;
  return true;
}

/** Whether `JSON.stringify(s)` is `"s"`: no character it escapes. */
function plain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** Where `JSON.stringify(s)` ends if it stands at `pos`, else -1. */
function stringAt(text: string, pos: number, s: string): number {
  if (plain(s)) {
    if (text.charCodeAt(pos) !== 0x22 || !sameAt(text, pos + 1, s) || text.charCodeAt(pos + 1 + s.length) !== 0x22) return -1;
    return pos + s.length + 2;
  }
  const quoted = JSON.stringify(s);
  return sameAt(text, pos, quoted) ? pos + quoted.length : -1;
}

/** Where `lit` ends if it stands at `pos`, else -1. */
function literalAt(text: string, pos: number, lit: string): number {
  return sameAt(text, pos, lit) ? pos + lit.length : -1;
}

/**
 * Where the JSON text of `value` ends if it stands in `text` at `pos`, else -1. The JSON text is
 * what `JSON.stringify` writes after bigints become decimal strings (`toJsonValue`): no spaces,
 * keys in insertion order, `undefined` members left out.
 *
 * @example
 *   jsonTextAt('x{"a":[1,"2"]}', 1, { a: [1, 2n] }); // 14
 */
export function jsonTextAt(text: string, pos: number, value: unknown): number {
  switch (typeof value) {
    case 'string':
      return stringAt(text, pos, value);
    case 'bigint':
      return stringAt(text, pos, value.toString());
    case 'number':
      return literalAt(text, pos, Number.isFinite(value) ? String(value) : 'null');
    case 'boolean':
      return literalAt(text, pos, value ? 'true' : 'false');
    case 'object':
      if (value === null) return literalAt(text, pos, 'null');
      if (Array.isArray(value)) {
        if (text.charCodeAt(pos++) !== 0x5b) return -1;
        for (let i = 0; i < value.length; i++) {
          if (i > 0 && text.charCodeAt(pos++) !== 0x2c) return -1;
          // JSON.stringify writes null for a hole or an undefined element.
          pos = value[i] === undefined ? literalAt(text, pos, 'null') : jsonTextAt(text, pos, value[i]);
          if (pos < 0) return -1;
        }
        return text.charCodeAt(pos) === 0x5d ? pos + 1 : -1;
      }
      return membersAt(text, pos, value as Record<string, unknown>, jsonTextAt);
    default:
      return -1;
  }
}

/**
 * Where the JSON text of an object ends if it stands at `pos`, else -1, each member's value
 * matched by `member` (which may render some keys specially); members that `member` would leave
 * out are marked by `skip`.
 */
export function membersAt(
  text: string,
  pos: number,
  obj: Record<string, unknown>,
  member: (text: string, pos: number, value: unknown, key: string) => number,
  skip: (value: unknown, key: string) => boolean = (v) => v === undefined,
): number {
  if (text.charCodeAt(pos++) !== 0x7b) return -1;
  let first = true;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (skip(v, k)) continue;
    if (!first && text.charCodeAt(pos++) !== 0x2c) return -1;
    first = false;
    pos = stringAt(text, pos, k);
    if (pos < 0 || text.charCodeAt(pos++) !== 0x3a) return -1;
    pos = member(text, pos, v, k);
    if (pos < 0) return -1;
  }
  return text.charCodeAt(pos) === 0x7d ? pos + 1 : -1;
}
