import { describe, expect, it } from 'vitest';
import { toIso } from './time.js';

describe('toIso', () => {
  it('should answer each text its own instant, however the texts alternate (the memo holds only the last one)', () => {
    const a = '2026-12-05T07:00:00.000Z';
    const b = '2026-12-05T07:00:00+01:00';
    expect(toIso(a)).toBe(a);
    expect(toIso(a)).toBe(a);
    expect(toIso(b)).toBe('2026-12-05T06:00:00.000Z');
    expect(toIso(a)).toBe(a);
    expect(toIso(b)).toBe('2026-12-05T06:00:00.000Z');
  });

  it('should answer a Date as its ISO text without touching the memo', () => {
    const text = '2026-01-02T03:04:05.678Z';
    expect(toIso(text)).toBe(text);
    expect(toIso(new Date('2020-01-01T00:00:00Z'))).toBe('2020-01-01T00:00:00.000Z');
    expect(toIso(text)).toBe(text);
  });

  it('should refuse text that names no instant, and is not left answering it afterwards', () => {
    expect(() => toIso('not a date')).toThrow(RangeError);
    expect(() => toIso('not a date')).toThrow(RangeError);
    expect(toIso('2026-12-05T07:00:00Z')).toBe('2026-12-05T07:00:00.000Z');
  });
});
