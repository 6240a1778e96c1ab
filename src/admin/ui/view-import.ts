import { api, ApiError, requestSchema } from './api.js';
import { csvCell } from './csv-cell.js';
import { parse } from './csv-parse.js';
import { h, mount, notice, table } from './dom.js';
import { label } from './schema-form.js';

interface Job {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  dryRun: boolean;
  totalRows: number;
  processed: number;
  created: number;
  failed: number;
  error: string | null;
}
interface RowError {
  row: number;
  code: string;
  field: string | null;
  message: string;
}

const IGNORE = '-';
const POLL_MS = 300;
const PREVIEW_BYTES = 64 * 1024;

/** The fields a column can fill: the create body's members, address parts and the tenant's attributes. */
async function targetFields(): Promise<string[]> {
  const [schema, attributes] = await Promise.all([
    requestSchema('/v1/users', 'post'),
    api.request<{ data: Array<{ key: string }> }>('GET', '/v1/attributes'),
  ]);
  const fields: string[] = [];
  for (const [name, member] of Object.entries(schema.properties ?? {})) {
    if (name === 'attributes') continue;
    if (name === 'address') fields.push(...Object.keys(member.properties ?? {}).map((k) => `address.${k}`));
    else fields.push(name);
  }
  return [...fields, ...attributes.data.map((a) => `attributes.${a.key}`)];
}

const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Headers other systems write for Roster's fields (after squashing). */
const SYNONYMS: Record<string, string> = {
  mail: 'email',
  emailaddress: 'email',
  firstname: 'givenName',
  forename: 'givenName',
  lastname: 'familyName',
  surname: 'familyName',
  name: 'displayName',
  fullname: 'displayName',
  login: 'username',
  phonenumber: 'phone',
  mobile: 'phone',
  title: 'position',
  jobtitle: 'position',
  startdate: 'arrivalDate',
  enddate: 'departureDate',
  birthdate: 'dateOfBirth',
  language: 'locale',
  role: 'roles',
  group: 'groups',
};

/** The field a column header most likely means, or none. */
function guess(column: string, fields: string[]): string {
  const key = squash(column);
  const synonym = SYNONYMS[key];
  if (synonym && fields.includes(synonym)) return synonym;
  return (
    fields.find((f) => squash(f) === key || squash(label(f.split('.').at(-1) ?? f)) === key || squash(f.split('.').at(-1) ?? '') === key) ??
    IGNORE
  );
}

/**
 * CSV import: pick a file, map its columns, validate with a dry-run job, then import with a progress
 * bar fed by the job's own counters, and download the failed rows as a CSV report.
 */
export async function importView(main: HTMLElement): Promise<void> {
  const fields = await targetFields();
  const file = h('input', { id: 'import-file', type: 'file', accept: '.csv,text/csv' });
  const mapping = h('div', { id: 'import-mapping' });
  const outcome = h('div', { id: 'import-outcome', 'aria-live': 'polite' });
  let selects: Array<{ column: string; select: HTMLSelectElement }> = [];

  const columnMap = () =>
    selects
      .filter(({ column, select }) => select.value !== column)
      .map(({ column, select }) => `${column}=${select.value}`)
      .join(',');

  file.addEventListener('change', async () => {
    mount(outcome);
    const chosen = file.files?.[0];
    if (!chosen) return mount(mapping);
    let rows: string[][];
    try {
      rows = parse(await chosen.slice(0, PREVIEW_BYTES).text(), {
        to_line: 6,
        relax_column_count: true,
        skip_empty_lines: true,
        bom: true,
      });
    } catch (error) {
      return mount(mapping, notice(`This file cannot be read as CSV: ${(error as Error).message}`, 'error'));
    }
    const [header = [], ...preview] = rows;
    selects = header.map((column) => {
      const select = h(
        'select',
        { 'aria-label': `Field for column ${column}` },
        h('option', { value: IGNORE }, '(ignore)'),
        fields.map((f) => h('option', { value: f }, f)),
      );
      select.value = guess(column, fields);
      return { column, select };
    });
    mount(
      mapping,
      table(
        'Columns and the fields they fill',
        ['Column', 'Field', 'First values'],
        selects.map(({ column, select }, i) => [column, select, preview.map((r) => r[i] ?? '').join(' · ')]),
      ),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', id: 'import-validate', onclick: () => run(chosen, true) }, 'Validate (dry run)'),
        h('button', { type: 'button', id: 'import-start', onclick: () => run(chosen, false) }, 'Import'),
      ),
    );
  });

  const run = async (chosen: File, dryRun: boolean) => {
    const progress = h('progress', {
      id: 'import-progress',
      max: 1,
      value: 0,
      'aria-label': dryRun ? 'Validation progress' : 'Import progress',
    });
    const counts = h('p', { role: 'status' }, 'Uploading…');
    mount(outcome, h('h2', {}, dryRun ? 'Validation' : 'Import'), progress, counts);
    let job: Job;
    try {
      job = await api.request<Job>('POST', '/v1/imports', {
        query: { map: columnMap() || undefined, dryRun: dryRun || undefined },
        raw: chosen,
        contentType: 'text/csv',
      });
      for (;;) {
        progress.max = Math.max(job.totalRows, 1);
        progress.value = job.processed;
        counts.textContent = `${job.processed} of ${job.totalRows} rows · ${job.created} ${dryRun ? 'valid' : 'created'} · ${job.failed} failed`;
        if (job.status === 'completed' || job.status === 'failed') break;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        // The admin went to another page: the job goes on on the server, this page stops asking.
        if (!outcome.isConnected) return;
        job = await api.request<Job>('GET', `/v1/imports/${job.id}`);
      }
    } catch (error) {
      mount(outcome, notice(error instanceof ApiError ? error.message : String(error), 'error'));
      return;
    }
    if (job.status === 'failed') return void outcome.append(notice(job.error ?? 'The import failed', 'error'));
    outcome.append(
      notice(
        dryRun
          ? `Validation finished: ${job.created} rows valid, ${job.failed} with errors.`
          : `Import finished: ${job.created} users created, ${job.failed} rows failed.`,
        job.failed > 0 ? 'error' : 'ok',
      ),
    );
    if (job.failed > 0) await showErrors(job);
  };

  const showErrors = async (job: Job) => {
    const errors: RowError[] = [];
    let after: string | null = '0';
    while (after !== null && errors.length < 100_000) {
      const page: { data: RowError[]; nextCursor: string | null } = await api.request('GET', `/v1/imports/${job.id}/errors`, {
        query: { after, limit: 1000 },
      });
      errors.push(...page.data);
      after = page.nextCursor;
    }
    const report = ['row,code,field,message', ...errors.map((e) => [e.row, e.code, e.field, e.message].map(csvCell).join(','))].join('\n');
    const link = h(
      'a',
      {
        href: URL.createObjectURL(new Blob([report], { type: 'text/csv' })),
        download: `import-${job.id}-errors.csv`,
        id: 'import-error-report',
      },
      'Download the error report (CSV)',
    );
    outcome.append(
      h('p', {}, link),
      table(
        'Row errors (first 50)',
        ['Row', 'Field', 'Code', 'Message'],
        errors.slice(0, 50).map((e) => [String(e.row), e.field ?? '—', e.code, e.message]),
      ),
    );
  };

  mount(
    main,
    h('h1', {}, 'Import users'),
    h(
      'p',
      {},
      'A CSV file with a header row. Each row is created with the same rules as a single create; a dry run checks every row and creates nothing.',
    ),
    h('div', { class: 'field' }, h('label', { for: 'import-file' }, 'CSV file'), file),
    mapping,
    outcome,
  );
}
