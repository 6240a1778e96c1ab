#!/usr/bin/env node
import '../lib/thread-pool.js';
import { Command, Option } from 'commander';
import type { Backend, UserQuery } from './cli-backend.js';
import { exportPages, type UserPager } from './export-format.js';
import { remoteBackend } from './remote-backend.js';
import { CliUsageError, EXIT, EXIT_CODES_HELP, note, print, reportError, safeText, table } from './cli-output.js';
import { setOwn } from '../lib/safe-input.js';
import { keepYoungGenerationSmall, limitOldGenerationGrowth } from '../lib/young-generation.js';
import { checkProfileName, checkServerUrl, profilePath, readProfiles, resolveConnection, writeProfiles } from './cli-profiles.js';
import { RemoteClient } from './remote-client.js';
import { importSummary, remoteImport } from './remote-import.js';
import type { User, UserList } from '../modules/users/user.schemas.js';
import fs from 'node:fs';
import path from 'node:path';

/** The local-store half of the CLI, loaded only by commands that use it. */
const local = () => import('./cli-local.js');

/** The ETag of a user as the API sends it (user.mapper's etagOf, without loading the core). */
const etagOf = (user: { version: number }) => `"${user.version}"`;

const program = new Command('roster')
  .description('Roster user directory: server and administration')
  .option('--url <url>', 'call this Roster server instead of the local store (or ROSTER_URL)')
  .option('--key <key>', 'API key for --url (or ROSTER_KEY; a profile or the variable keeps it out of ps and shell history)')
  .option('--profile <name>', "use a saved server from the profile file (or ROSTER_PROFILE; default: the file's default)")
  .addHelpText('after', EXIT_CODES_HELP)
  .showHelpAfterError();

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** The server to call (from --url/--key, the environment or a profile), with the tenant named on the command line if any. */
function remoteClient(tenant: string | undefined): RemoteClient | undefined {
  const connection = resolveConnection(program.opts<{ url?: string; key?: string; profile?: string }>());
  if (!connection) return undefined;
  return new RemoteClient({ ...connection, ...(tenant !== undefined ? { tenant } : {}) });
}

/** Runs a command on a server when one is configured, else on the local store. */
async function withBackend<T>(tenant: string | undefined, fn: (backend: Backend) => Promise<T>): Promise<T> {
  const client = remoteClient(tenant);
  if (client) return fn(remoteBackend(client));
  const { withCore, localBackend } = await local();
  return withCore((core) => fn(localBackend(core, tenant)));
}

program
  .command('serve')
  .description('Run the HTTP server (same as npm start)')
  .action(async () => {
    keepYoungGenerationSmall();
    await (await local()).serve();
  });
program
  .command('worker')
  .description('Run only the background workers (imports, webhooks, mail); pair with ROSTER_RUN_WORKERS=false on servers')
  .action(async () => {
    keepYoungGenerationSmall();
    await (await local()).work();
  });

program
  .command('migrate')
  .description('Apply pending database migrations and exit')
  .action(async () => {
    const { loadConfig, waitForDatabase, pino, databaseFromConfig, migrateToLatest } = await local();
    const config = loadConfig();
    // As serve and worker do: a database still starting (a deploy's first step) is waited for, named, not failed on.
    if (config.databaseUrl)
      await waitForDatabase(config.databaseUrl, config.dbConnectTimeoutSeconds, pino({ level: config.logLevel }, pino.destination(2)));
    const database = databaseFromConfig(config);
    try {
      const applied = await migrateToLatest(database);
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date\n');
    } finally {
      await database.close();
    }
  });

program
  .command('backup <file>')
  .description('Copy the SQLite store to <file> while Roster runs (online backup API), and check the copy')
  .action(async (file: string) => {
    const { loadConfig, backupSqlite } = await local();
    const config = loadConfig();
    if (config.databaseUrl) {
      throw new CliUsageError(
        'PostgreSQL: use pg_dump, e.g. pg_dump --format=custom --file=roster.dump "$DATABASE_URL" (see docs/security.md)',
      );
    }
    const { users } = await backupSqlite(config.dataDir, path.resolve(file));
    process.stdout.write(`Backed up ${users} users to ${path.resolve(file)}\n`);
  });

program
  .command('restore <file>')
  .description(
    'Put a backup made by `roster backup` in place as the SQLite store (refused while a server or worker uses it; the previous store is kept aside)',
  )
  .action(async (file: string) => {
    const { loadConfig, restoreSqlite } = await local();
    const config = loadConfig();
    if (config.databaseUrl)
      throw new CliUsageError(
        'PostgreSQL: use pg_restore, e.g. pg_restore --clean --dbname="$DATABASE_URL" roster.dump (see docs/security.md)',
      );
    const { users, previous } = restoreSqlite(path.resolve(file), config.dataDir);
    process.stdout.write(
      `Restored ${users} users into ${config.dataDir}${previous ? `; the previous store is kept as ${previous}` : ''}\n`,
    );
  });

const tenants = program.command('tenants').description('Manage tenants');
tenants
  .command('create <slug>')
  .description('Create a tenant with the built-in roles admin and user')
  .option('--name <name>', 'display name (default: the slug)')
  .option('--locale <tag>', 'default locale of new users (default: en)')
  .option('--timezone <zone>', 'default IANA time zone of new users (default: UTC)')
  .option('--json', 'print the tenant as JSON')
  .action(async (slug: string, opts: { name?: string; locale?: string; timezone?: string; json?: boolean }) => {
    const { withCore, cliPrincipal } = await local();
    await withCore(async (core) => {
      const tenant = await core.tenants.createTenant(cliPrincipal, {
        slug,
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.locale ? { defaultLocale: opts.locale } : {}),
        ...(opts.timezone ? { defaultTimezone: opts.timezone } : {}),
      });
      print(!!opts.json, tenant, `Created tenant ${tenant.slug} (${tenant.id})`);
    });
  });

const keys = program.command('keys').description('Manage API keys (local store, or a server with --url/--key)');
keys
  .command('create')
  .description('Create an API key and print its secret (shown once)')
  .addOption(new Option('--tenant <slug>', 'tenant slug or id (remote: only with a platform key)').conflicts('platform'))
  .option('--role <role>', 'role of the key in the tenant', 'admin')
  .option('--platform', 'create a platform key instead (acts on any tenant)')
  .option('--name <name>', 'a name to recognise the key by', 'cli')
  .option('--prefix <prefix>', 'start the key with this instead of rst_ (e.g. flt_sk_)')
  .option('--json', 'print the key as JSON')
  .action((opts: { tenant?: string; role: string; platform?: boolean; name: string; prefix?: string; json?: boolean }) =>
    withBackend(opts.tenant, async (backend) => {
      const key = await backend.createKey({
        name: opts.name,
        ...(opts.platform ? { platform: true } : { role: opts.role }),
        ...(opts.prefix ? { prefix: opts.prefix } : {}),
      });
      print(!!opts.json, key, key.secret);
      if (!opts.json) note(`Created key ${key.id} (${key.role}); the secret above is shown once`);
    }),
  );
keys
  .command('list')
  .description("List the tenant's API keys (platform keys without --tenant on the local store or with a platform key)")
  .option('--tenant <slug>', 'tenant slug or id')
  .option('--json', 'print {data: [...]} as JSON')
  .action((opts: { tenant?: string; json?: boolean }) =>
    withBackend(opts.tenant, async (backend) => {
      const list = await backend.listKeys();
      print(
        !!opts.json,
        { data: list },
        table(
          ['ID', 'NAME', 'ROLE', 'PREFIX', 'CREATED', 'REVOKED'],
          list.map((k) => [k.id, k.name, k.role, k.prefix, k.createdAt, k.revokedAt ?? '']),
        ),
      );
    }),
  );
keys
  .command('revoke <id>')
  .description('Revoke an API key: it stops working at once')
  .option('--tenant <slug>', 'tenant slug or id')
  .option('--json', 'print {id, revoked: true} as JSON')
  .action((id: string, opts: { tenant?: string; json?: boolean }) =>
    withBackend(opts.tenant, async (backend) => {
      await backend.revokeKey(id);
      print(!!opts.json, { id, revoked: true }, `Revoked key ${safeText(id)}`);
    }),
  );

const users = program.command('users').description('Manage users (local store, or a server with --url/--key)');

interface UserFlags {
  email?: string;
  username?: string;
  givenName?: string;
  familyName?: string;
  displayName?: string;
  role?: string[];
  externalId?: string;
}

function userFieldOptions(command: Command): Command {
  return command
    .option('--email <email>')
    .option('--username <username>')
    .option('--given-name <name>')
    .option('--family-name <name>')
    .option('--display-name <name>')
    .option('--role <role...>', 'role names')
    .option('--external-id <id>');
}

function flagFields(opts: UserFlags): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries({
      email: opts.email,
      username: opts.username,
      givenName: opts.givenName,
      familyName: opts.familyName,
      displayName: opts.displayName,
      roles: opts.role,
      externalId: opts.externalId,
    }).filter(([, v]) => v !== undefined),
  );
}

/** A JSON object from a file (or `-` for standard input), for --file. */
async function readJsonObject(file: string): Promise<Record<string, unknown>> {
  let text: string;
  if (file === '-') text = await readStdin();
  else {
    if (!fs.existsSync(file)) throw new CliUsageError(`no such file: ${file}`);
    text = fs.readFileSync(file, 'utf8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliUsageError(`${file === '-' ? 'standard input' : file} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliUsageError('--file must hold one JSON object');
  return value as Record<string, unknown>;
}

/** An ETag as GET answers it ("3"), or the user's `version` (3), which is taken as that ETag. */
function ifMatchOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return /^\d+$/.test(value) ? `"${value}"` : value;
}

function userName(user: User): string {
  return safeText(user.email ?? user.username ?? user.id);
}

function userDetails(user: User): string {
  const lines = Object.entries(user)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}: ${safeText(Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.join(', ') : v)}`);
  return [...lines, `etag: ${etagOf(user)}`].join('\n');
}

users
  .command('list')
  .description('List live users in creation order (a page, or every page with --all)')
  .option('--tenant <slug>', 'tenant slug or id (local store, or with a platform key)')
  .option('--q <text>', 'users whose email or username starts with this')
  .addOption(new Option('--active <bool>', 'only active (true) or deactivated (false) users').choices(['true', 'false']))
  .option('--limit <n>', 'users per page (1-200)', (v) => Number.parseInt(v, 10))
  .option('--cursor <cursor>', 'the nextCursor of the previous page')
  .option('--all', 'follow nextCursor to the last page')
  .option('--json', 'print {data, nextCursor} as JSON')
  .action(
    (opts: { tenant?: string; q?: string; active?: 'true' | 'false'; limit?: number; cursor?: string; all?: boolean; json?: boolean }) =>
      withBackend(opts.tenant, async (backend) => {
        if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1 || opts.limit > 200))
          throw new CliUsageError('--limit must be 1-200');
        const query: UserQuery = {
          ...(opts.q !== undefined ? { q: opts.q } : {}),
          ...(opts.active !== undefined ? { active: opts.active === 'true' } : {}),
          ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        };
        const all: User[] = [];
        let cursor = opts.cursor;
        let nextCursor: string | null;
        do {
          const page = await backend.listUsers({ ...query, ...(cursor !== undefined ? { cursor } : {}) });
          all.push(...page.data);
          nextCursor = page.nextCursor;
          cursor = nextCursor ?? undefined;
        } while (opts.all && cursor !== undefined);
        print(
          !!opts.json,
          { data: all, nextCursor },
          table(
            ['ID', 'EMAIL', 'USERNAME', 'NAME', 'ACTIVE', 'ROLES'],
            all.map((u) => [
              u.id,
              u.email ?? '',
              u.username ?? '',
              u.displayName ?? [u.givenName, u.familyName].filter(Boolean).join(' '),
              u.active ? 'yes' : 'no',
              u.roles.join(','),
            ]),
          ),
        );
        if (!opts.json && nextCursor) note(`More users: --cursor ${nextCursor} (or --all)`);
      }),
  );

users
  .command('get <id>')
  .description('Show one user and its ETag (its version, for --if-match)')
  .option('--tenant <slug>', 'tenant slug or id')
  .option('--json', 'print the user as JSON')
  .action((id: string, opts: { tenant?: string; json?: boolean }) =>
    withBackend(opts.tenant, async (backend) => {
      const user = await backend.getUser(id);
      print(!!opts.json, user, userDetails(user));
    }),
  );

userFieldOptions(
  users
    .command('create')
    .description('Create a user with the same rules as POST /v1/users, from flags and/or a JSON body (--file)')
    .option('--tenant <slug>', 'tenant slug or id (local store, or with a platform key)'),
)
  .option('--file <file>', 'a JSON body as for POST /v1/users (- for standard input); flags override its fields')
  .option('--password-stdin', 'read the password from standard input (keeps it out of shell history)')
  .option('--inactive', 'create the user deactivated')
  .option('--json', 'print the user as JSON')
  .action((opts: UserFlags & { tenant?: string; file?: string; passwordStdin?: boolean; inactive?: boolean; json?: boolean }) =>
    withBackend(opts.tenant, async (backend) => {
      if (opts.file === '-' && opts.passwordStdin) throw new CliUsageError('--file - and --password-stdin both read standard input');
      const input = {
        ...(opts.file !== undefined ? await readJsonObject(opts.file) : {}),
        ...flagFields(opts),
        ...(opts.passwordStdin ? { password: await readStdin() } : {}),
        ...(opts.inactive ? { active: false } : {}),
      };
      const user = await backend.createUser(input);
      print(!!opts.json, user, `Created user ${userName(user)} (${user.id})`);
    }),
  );

userFieldOptions(
  users
    .command('update <id>')
    .description('Change a user with a JSON Merge Patch (--file) and/or flags; null in the patch clears a field')
    .option('--tenant <slug>', 'tenant slug or id'),
)
  .option('--file <file>', 'a JSON Merge Patch as for PATCH /v1/users/{id} (- for standard input); flags override it')
  .option('--if-match <etag>', 'apply only to this version (the ETag or the version number from users get); 412 otherwise')
  .option('--json', 'print the user as JSON')
  .action((id: string, opts: UserFlags & { tenant?: string; file?: string; ifMatch?: string; json?: boolean }) =>
    withBackend(opts.tenant, async (backend) => {
      const patch = { ...(opts.file !== undefined ? await readJsonObject(opts.file) : {}), ...flagFields(opts) };
      if (Object.keys(patch).length === 0) throw new CliUsageError('nothing to change: give --file or a field flag');
      const user = await backend.updateUser(id, patch, ifMatchOf(opts.ifMatch));
      print(!!opts.json, user, `Updated user ${userName(user)} (${user.id}), now ${etagOf(user)}`);
    }),
  );

for (const [name, active] of [
  ['deactivate', false],
  ['reactivate', true],
] as const) {
  users
    .command(`${name} <id>`)
    .description(active ? 'Let a deactivated user sign in again' : 'Stop a user from signing in (kept, can be reactivated)')
    .option('--tenant <slug>', 'tenant slug or id')
    .option('--if-match <etag>', 'apply only to this version')
    .option('--json', 'print the user as JSON')
    .action((id: string, opts: { tenant?: string; ifMatch?: string; json?: boolean }) =>
      withBackend(opts.tenant, async (backend) => {
        const user = await backend.updateUser(id, { active }, ifMatchOf(opts.ifMatch));
        print(!!opts.json, user, `${active ? 'Reactivated' : 'Deactivated'} user ${userName(user)} (${user.id})`);
      }),
    );
}

users
  .command('delete <id>')
  .description('Delete a user (soft delete: kept for audit; its email and username are free again)')
  .option('--tenant <slug>', 'tenant slug or id')
  .option('--json', 'print {id, deleted: true} as JSON')
  .action((id: string, opts: { tenant?: string; json?: boolean }) =>
    withBackend(opts.tenant, async (backend) => {
      await backend.deleteUser(id);
      print(!!opts.json, { id, deleted: true }, `Deleted user ${safeText(id)}`);
    }),
  );

const webhooks = program.command('webhooks').description("A tenant's webhooks (local store, or a server with --url/--key)");
webhooks
  .command('list')
  .description('List the webhooks')
  .option('--tenant <slug>', 'tenant slug or id')
  .option('--json', 'print {data: [...]} as JSON')
  .action((opts: { tenant?: string; json?: boolean }) =>
    withBackend(opts.tenant, async (backend) => {
      const list = await backend.listWebhooks();
      print(
        !!opts.json,
        { data: list },
        table(
          ['ID', 'URL', 'ACTIVE', 'EVENTS', 'DISABLED BECAUSE'],
          list.map((w) => [w.id, w.url, w.active ? 'yes' : 'no', w.eventTypes?.join(',') ?? 'all', w.disabledReason ?? '']),
          60,
        ),
      );
    }),
  );
webhooks
  .command('test <id>')
  .alias('ping')
  .description('Send a webhook.ping event to this webhook only (watch it in the delivery log)')
  .option('--tenant <slug>', 'tenant slug or id')
  .option('--json', 'print {eventId, deliveryId} as JSON')
  .action((id: string, opts: { tenant?: string; json?: boolean }) =>
    withBackend(opts.tenant, async (backend) => {
      const sent = await backend.pingWebhook(id);
      print(!!opts.json, sent, `Queued webhook.ping: event ${sent.eventId}, delivery ${sent.deliveryId}`);
    }),
  );

program
  .command('import <file>')
  .description(
    'Create users from a CSV, NDJSON or JSON-array file with the same rules as the API; with --url, uploads it as an import job and follows it',
  )
  .option('--tenant <slug>', 'tenant slug or id (required on the local store)')
  .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'ndjson', 'json']))
  .option('--map <mapping>', 'rename columns: "E-mail=email,First name=givenName" (address.city, attributes.team nest; - skips)')
  .option('--dry-run', 'validate every row (rules and uniqueness) without changing anything')
  .option('--mode <mode>', 'server only: create, upsert or sync (passed to the import API as mode)')
  .option('--errors <file>', 'write failed rows to this CSV file')
  .option('--show-errors <n>', 'server only: failed rows to print (and put in --json)', (v) => Number.parseInt(v, 10), 10)
  .option('--batch-size <n>', 'local only: rows per batch', (v) => Number.parseInt(v, 10), 500)
  .option('--json', 'print the result as JSON')
  .action(
    async (
      file: string,
      opts: {
        tenant?: string;
        format?: 'csv' | 'ndjson' | 'json';
        map?: string;
        dryRun?: boolean;
        mode?: string;
        errors?: string;
        showErrors: number;
        batchSize: number;
        json?: boolean;
      },
    ) => {
      limitOldGenerationGrowth();
      if (!fs.existsSync(file)) throw new CliUsageError(`no such file: ${file}`);
      if (!Number.isInteger(opts.showErrors) || opts.showErrors < 0 || opts.showErrors > 1000)
        throw new CliUsageError('--show-errors must be 0-1000');
      const client = remoteClient(opts.tenant);
      if (client) {
        const { job, errors, exitCode } = await remoteImport(client, file, opts);
        print(!!opts.json, { job, errors }, importSummary(job, errors));
        process.exitCode = exitCode;
        return;
      }
      if (opts.mode !== undefined && opts.mode !== 'create')
        throw new CliUsageError('--mode upsert|sync runs on a server: give --url and --key (or a profile)');
      if (opts.tenant === undefined) throw new CliUsageError('give --tenant <slug> (or --url and --key to use a server)');
      if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1 || opts.batchSize > 1000)
        throw new CliUsageError('--batch-size must be 1-1000');
      const tenant = opts.tenant;
      const { withCore, tenantContext, importFile, BULK_CHECKPOINT_PAGES } = await local();
      await withCore(
        async (core) => {
          const ctx = await tenantContext(core, tenant);
          const totals = await importFile(core, ctx, file, { ...opts });
          print(
            !!opts.json,
            totals,
            `${opts.dryRun ? 'Checked' : 'Imported'} ${totals.processed} rows: ${totals.created} ${opts.dryRun ? 'valid' : 'created'}, ${totals.failed} failed`,
          );
          if (totals.failed > 0) process.exitCode = EXIT.partial;
        },
        // A SQLite file is written by a thread of its own, which commits one batch while this one validates
        // the next (runImport): one of the two cores each. ROSTER_SQLITE_WRITER=inline keeps one thread.
        // The WAL is checkpointed every BULK_CHECKPOINT_PAGES instead of SQLite's 1,000 pages.
        {
          ...(process.env.ROSTER_SQLITE_WRITER ? {} : { sqliteWriter: 'thread' as const }),
          sqliteCheckpointPages: BULK_CHECKPOINT_PAGES,
        },
      );
    },
  );

program
  .command('export')
  .description('Write every live user of a tenant to standard output (or --out)')
  .option('--tenant <slug>', 'tenant slug or id (required on the local store)')
  .addOption(new Option('--format <format>', 'output format').choices(['csv', 'ndjson']).default('ndjson'))
  .option('--out <file>', 'write to this file instead of standard output')
  .action(async (opts: { tenant?: string; format: 'csv' | 'ndjson'; out?: string }) => {
    const run = async (pages: UserPager) => {
      const out = opts.out ? fs.createWriteStream(opts.out) : process.stdout;
      const count = await exportPages(pages, opts.format, out);
      if (opts.out) await new Promise<void>((resolve) => out.end(resolve));
      note(`Exported ${count} users`);
    };
    const client = remoteClient(opts.tenant);
    if (client) return run(async (cursor) => (await client.request<UserList>('GET', '/users', { query: { limit: 200, cursor } })).body);
    if (opts.tenant === undefined) throw new CliUsageError('give --tenant <slug> (or --url and --key to use a server)');
    const tenant = opts.tenant;
    const { withCore, tenantContext } = await local();
    return withCore(async (core) => {
      const ctx = await tenantContext(core, tenant);
      await run((cursor) => core.users.listUsers(ctx, { limit: 200, ...(cursor ? { cursor } : {}) }));
    });
  });

const profile = program
  .command('profile')
  .description(`Saved servers (url, key, tenant) in ROSTER_CONFIG or ~/.config/roster/profiles.json, written mode 0600`);
profile
  .command('add <name>')
  .description('Save a server: roster --url https://roster.example.com profile add prod --key-stdin < key.txt')
  .option('--key-stdin', 'read the key from standard input (keeps it out of ps and shell history)')
  .option('--tenant <slug>', 'tenant a platform key acts on')
  .option('--default', 'use this profile when no --url or --profile is given')
  .action(async (name: string, opts: { keyStdin?: boolean; tenant?: string; default?: boolean }) => {
    checkProfileName(name);
    const global = program.opts<{ url?: string; key?: string }>();
    if (!global.url) throw new CliUsageError('give the server with --url');
    const url = checkServerUrl(global.url);
    const key = opts.keyStdin ? (await readStdin()).trim() : global.key;
    if (!key) throw new CliUsageError('give the key with --key-stdin (or --key)');
    const file = profilePath();
    const content = readProfiles(file);
    setOwn(content.profiles, name, { url, key, ...(opts.tenant ? { tenant: opts.tenant } : {}) });
    if (opts.default || Object.keys(content.profiles).length === 1) content.default = name;
    writeProfiles(content, file);
    note(`Saved profile ${name} (${url}) in ${file}${content.default === name ? ' as the default' : ''}`);
  });
profile
  .command('list')
  .description('List the saved servers (never their keys)')
  .option('--json', 'print {default, profiles: [...]} as JSON')
  .action((opts: { json?: boolean }) => {
    const content = readProfiles();
    const rows = Object.entries(content.profiles).map(([name, p]) => ({
      name,
      url: p.url,
      tenant: p.tenant ?? null,
      default: content.default === name,
    }));
    print(
      !!opts.json,
      { default: content.default ?? null, profiles: rows },
      table(
        ['NAME', 'URL', 'TENANT', 'DEFAULT'],
        rows.map((r) => [r.name, r.url, r.tenant ?? '', r.default ? '*' : '']),
        80,
      ),
    );
  });
profile
  .command('remove <name>')
  .description('Forget a saved server')
  .action((name: string) => {
    const file = profilePath();
    const content = readProfiles(file);
    if (!Object.hasOwn(content.profiles, name)) throw new CliUsageError(`no profile "${name}" in ${file}`);
    delete content.profiles[name];
    if (content.default === name) delete content.default;
    writeProfiles(content, file);
    note(`Removed profile ${name}`);
  });
profile
  .command('use <name>')
  .description('Make a saved server the default')
  .action((name: string) => {
    const file = profilePath();
    const content = readProfiles(file);
    if (!Object.hasOwn(content.profiles, name)) throw new CliUsageError(`no profile "${name}" in ${file}`);
    content.default = name;
    writeProfiles(content, file);
    note(`Profile ${name} is the default`);
  });

program.parseAsync().catch((error: unknown) => {
  process.exitCode = reportError(error);
});
