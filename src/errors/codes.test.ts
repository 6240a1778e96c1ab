import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes, fieldErrorCodes } from './codes.js';

const doc = fs.readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** Rows of the markdown table under `heading`: first cell (the code) → second cell. */
function tableRows(heading: string): Map<string, string> {
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading)) ?? '';
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const match = /^\| `([A-Z_]+)` \| ([^|]+) \|/.exec(line);
    if (match) rows.set(match[1] as string, (match[2] as string).trim());
  }
  return rows;
}

describe('error catalog', () => {
  it('should document every problem code with its status, and nothing else', () => {
    const rows = tableRows('Problem codes');
    expect([...rows.keys()].sort()).toEqual(Object.keys(errorCodes).sort());
    for (const [code, { status }] of Object.entries(errorCodes)) expect(rows.get(code)).toBe(String(status));
  });

  it('should document every field code, and nothing else', () => {
    expect([...tableRows('Field codes').keys()].sort()).toEqual(Object.keys(fieldErrorCodes).sort());
  });
});
