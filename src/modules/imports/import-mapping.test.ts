import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors/app-error.js';
import { csvRecordToInput, parseColumnMap } from './import-mapping.js';

// Each column's handling is decided once per column map (not per cell): the same map must give each row
// what the per-cell rules give, whichever rows and options come first.
describe('CSV rows as create bodies', () => {
  it('should map, nest, split, read booleans and skip server-set columns, row after row with one map', () => {
    const map = parseColumnMap('E-mail=email,Team=attributes.team,Ignore=-');
    const rows: Array<Record<string, string>> = [
      {
        'E-mail': 'a@x.io',
        Team: '42',
        'address.city': 'Lyon',
        roles: 'admin; editor|',
        active: 'no',
        id: 'u1',
        Ignore: 'x',
        createdAt: '2020-01-01',
      },
      { 'E-mail': '', Team: 'blue', 'address.city': '', roles: '', active: 'maybe', seq: '7', createdAt: '' },
      { 'E-mail': "'=cmd", Team: '{"a":1}', phone: "'+33612345678" },
    ];
    const out = rows.map((r) => ({ ...csvRecordToInput(r, map) }));
    expect(out[0]).toEqual({
      email: 'a@x.io',
      attributes: { team: 42 },
      address: { city: 'Lyon' },
      roles: ['admin', 'editor'],
      active: false,
    });
    expect(out[1]).toEqual({ attributes: { team: 'blue' }, active: 'maybe' });
    expect(out[2]).toEqual({ email: '=cmd', attributes: { team: { a: 1 } }, phone: '+33612345678' });
    expect(Object.getPrototypeOf(csvRecordToInput(rows[0]!, map))).toBeNull();
  });

  it('should carry createdAt only when asked, with the same map used both ways', () => {
    const map = parseColumnMap(undefined);
    const row = { email: 'a@x.io', createdAt: '2020-01-01T00:00:00Z' };
    expect({ ...csvRecordToInput(row, map) }).toEqual({ email: 'a@x.io' });
    expect({ ...csvRecordToInput(row, map, { carryCreatedAt: true }) }).toEqual({ email: 'a@x.io', createdAt: '2020-01-01T00:00:00Z' });
    expect({ ...csvRecordToInput(row, map) }).toEqual({ email: 'a@x.io' });
  });

  it('should refuse a forbidden member name only in a row where its cell is filled', () => {
    const map = parseColumnMap(undefined);
    expect({ ...csvRecordToInput({ email: 'a@x.io', 'attributes.__proto__': '' }, map) }).toEqual({ email: 'a@x.io' });
    for (let i = 0; i < 2; i++) {
      let error: unknown;
      try {
        csvRecordToInput({ email: 'a@x.io', 'attributes.__proto__': 'x' }, map);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).errors).toEqual([
        expect.objectContaining({ path: '/attributes/__proto__', code: 'FIELD_NAME_FORBIDDEN' }),
      ]);
    }
  });
});
