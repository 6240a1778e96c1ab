import { describe, expect, it } from 'vitest';
import { findInputProblem } from './safe-input.js';

/** The walk names the first hostile part by its JSON pointer (RFC 6901), however deep and however its keys are spelled. */
describe('findInputProblem', () => {
  it('should find nothing in ordinary nested input', () => {
    expect(findInputProblem({ a: [1, 'x', { b: null, c: { d: true } }], 'e/f~g': 'ok' }, { text: true })).toBeNull();
  });

  it('should name a prototype key by its pointer, escaping ~ and / in the keys on the way', () => {
    const value = JSON.parse('{"a/b":[{"c~d":{"__proto__":{"x":1}}}]}') as unknown;
    expect(findInputProblem(value)).toEqual({ kind: 'prototype-key', pointer: '/a~1b/0/c~0d/__proto__', key: '__proto__' });
    expect(findInputProblem({ list: [{}, { constructor: 1 }] })).toEqual({
      kind: 'prototype-key',
      pointer: '/list/1/constructor',
      key: 'constructor',
    });
  });

  it('should name invalid text in a value and in a key, only when asked to look at text', () => {
    const value = { rows: [{ name: 'ok' }, { name: 'bad\u0000' }] };
    expect(findInputProblem(value, { text: true })).toEqual({ kind: 'invalid-text', pointer: '/rows/1/name' });
    expect(findInputProblem(value)).toBeNull();
    expect(findInputProblem({ a: { ['k\uD800']: 1 } }, { text: true })).toEqual({ kind: 'invalid-text', pointer: '/a/k\uD800' });
    expect(findInputProblem('\uDC00', { text: true })).toEqual({ kind: 'invalid-text', pointer: '' });
  });

  it('should name the first value nested deeper than allowed', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10; i++) deep = { n: deep };
    expect(findInputProblem({ top: deep }, { maxDepth: 4 })).toEqual({ kind: 'too-deep', pointer: '/top/n/n/n' });
    expect(findInputProblem([[[[1]]]], { maxDepth: 2 })).toEqual({ kind: 'too-deep', pointer: '/0/0' });
  });

  it('should report a refused member name without reading the member', () => {
    const value = {
      ok: 1,
      get constructor(): never {
        throw new Error('read');
      },
    };
    expect(findInputProblem(value)).toEqual({ kind: 'prototype-key', pointer: '/constructor', key: 'constructor' });
  });
});
