import { describe, expect, it } from 'vitest';
import { type CommandArgs, flag, value, values } from '../../src/cli/Command.js';

const args: CommandArgs = { positionals: ['a'], values: { json: true, log: 'out.log', require: ['a.js', 'b.js'] } };

describe('flag', () => {
  it('is true only for a boolean option that was given', () => {
    expect(flag(args, 'json')).toBe(true);
    expect(flag(args, 'strict')).toBe(false);
    expect(flag(args, 'log')).toBe(false);
  });
});

describe('value', () => {
  it('is the value of a string option, the last of several, or undefined', () => {
    expect(value(args, 'log')).toBe('out.log');
    expect(value(args, 'require')).toBe('b.js');
    expect(value(args, 'out')).toBeUndefined();
    expect(value(args, 'json')).toBeUndefined();
  });
});

describe('values', () => {
  it('lists every value of a string option, in order', () => {
    expect(values(args, 'require')).toEqual(['a.js', 'b.js']);
    expect(values(args, 'log')).toEqual(['out.log']);
    expect(values(args, 'out')).toEqual([]);
  });
});
