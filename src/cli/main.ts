#!/usr/bin/env node
import '../lib/thread-pool.js';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/config.js';
import { databaseFromConfig } from '../app.js';
import pino from 'pino';
import { migrateToLatest } from '../db/migrate.js';
import { waitForDatabase } from '../db/wait-for-database.js';
import { AppError } from '../errors/app-error.js';
import { StartupError } from '../lib/startup-error.js';
import { serve, work } from '../serve.js';
import { cliPrincipal, tenantContext, withCore } from './cli-context.js';
import { exportUsers, importFile } from './import-export.js';
import fs from 'node:fs';
import path from 'node:path';
import { backupSqlite, restoreSqlite } from '../db/sqlite-backup.js';

const program = new Command('roster').description('Roster user directory: server and administration').showHelpAfterError();

function print(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

program
  .command('serve')
  .description('Run the HTTP server (same as npm start)')
  .action(() => serve());
program
  .command('worker')
  .description('Run only the background workers (imports, webhooks, mail); pair with ROSTER_RUN_WORKERS=false on servers')
  .action(() => work());

program
  .command('migrate')
  .description('Apply pending database migrations and exit')
  .action(async () => {
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
  .action((file: string) => {
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
  .action((slug: string, opts: { name?: string; locale?: string; timezone?: string; json?: boolean }) =>
    withCore(async (core) => {
      const tenant = await core.tenants.createTenant(cliPrincipal, {
        slug,
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.locale ? { defaultLocale: opts.locale } : {}),
        ...(opts.timezone ? { defaultTimezone: opts.timezone } : {}),
      });
      print(!!opts.json, tenant, `Created tenant ${tenant.slug} (${tenant.id})`);
    }),
  );

const keys = program.command('keys').description('Manage API keys');
keys
  .command('create')
  .description('Create an API key and print its secret (shown once)')
  .addOption(new Option('--tenant <slug>', 'tenant slug or id').conflicts('platform'))
  .option('--role <role>', 'role of the key in the tenant', 'admin')
  .option('--platform', 'create a platform key instead (acts on any tenant)')
  .option('--name <name>', 'a name to recognise the key by', 'cli')
  .option('--prefix <prefix>', 'start the key with this instead of rst_ (e.g. flt_sk_)')
  .option('--json', 'print the key as JSON')
  .action((opts: { tenant?: string; role: string; platform?: boolean; name: string; prefix?: string; json?: boolean }) =>
    withCore(async (core) => {
      if (!opts.platform && !opts.tenant) throw new CliUsageError('give --tenant <slug> or --platform');
      const tenantId = opts.platform ? null : (await tenantContext(core, opts.tenant as string)).tenantId;
      const key = await core.apiKeys.createKey(cliPrincipal, tenantId, {
        name: opts.name,
        role: opts.role,
        ...(opts.prefix ? { prefix: opts.prefix } : {}),
      });
      print(!!opts.json, key, key.secret);
    }),
  );

const users = program.command('users').description('Manage users');
users
  .command('create')
  .description('Create a user with the same rules as POST /v1/users')
  .requiredOption('--tenant <slug>', 'tenant slug or id')
  .option('--email <email>')
  .option('--username <username>')
  .option('--password-stdin', 'read the password from standard input (keeps it out of shell history)')
  .option('--given-name <name>')
  .option('--family-name <name>')
  .option('--display-name <name>')
  .option('--role <role...>', 'role names (default: user)')
  .option('--external-id <id>')
  .option('--inactive', 'create the user deactivated')
  .option('--json', 'print the user as JSON')
  .action(
    (opts: {
      tenant: string;
      email?: string;
      username?: string;
      passwordStdin?: boolean;
      givenName?: string;
      familyName?: string;
      displayName?: string;
      role?: string[];
      externalId?: string;
      inactive?: boolean;
      json?: boolean;
    }) =>
      withCore(async (core) => {
        const ctx = await tenantContext(core, opts.tenant);
        const input = Object.fromEntries(
          Object.entries({
            email: opts.email,
            username: opts.username,
            givenName: opts.givenName,
            familyName: opts.familyName,
            displayName: opts.displayName,
            roles: opts.role,
            externalId: opts.externalId,
            password: opts.passwordStdin ? await readStdin() : undefined,
            active: opts.inactive ? false : undefined,
          }).filter(([, v]) => v !== undefined),
        );
        const user = await core.users.createUser(ctx, input);
        print(!!opts.json, user, `Created user ${user.email ?? user.username} (${user.id})`);
      }),
  );

program
  .command('import <file>')
  .description('Create users from a CSV, NDJSON or JSON-array file, with the same rules as the API')
  .requiredOption('--tenant <slug>', 'tenant slug or id')
  .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'ndjson', 'json']))
  .option('--map <mapping>', 'rename columns: "E-mail=email,First name=givenName" (address.city, attributes.team nest; - skips)')
  .option('--dry-run', 'validate every row (rules and uniqueness) without creating anything')
  .option('--errors <file>', 'write failed rows to this CSV file (row, code, field, message)')
  .option('--batch-size <n>', 'rows per batch', (v) => Number.parseInt(v, 10), 500)
  .option('--json', 'print the totals as JSON')
  .action(
    (
      file: string,
      opts: {
        tenant: string;
        format?: 'csv' | 'ndjson' | 'json';
        map?: string;
        dryRun?: boolean;
        errors?: string;
        batchSize: number;
        json?: boolean;
      },
    ) =>
      withCore(async (core) => {
        if (!fs.existsSync(file)) throw new CliUsageError(`no such file: ${file}`);
        if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1 || opts.batchSize > 1000)
          throw new CliUsageError('--batch-size must be 1-1000');
        const ctx = await tenantContext(core, opts.tenant);
        const totals = await importFile(core, ctx, file, { ...opts });
        print(
          !!opts.json,
          totals,
          `${opts.dryRun ? 'Checked' : 'Imported'} ${totals.processed} rows: ${totals.created} ${opts.dryRun ? 'valid' : 'created'}, ${totals.failed} failed`,
        );
        if (totals.failed > 0) process.exitCode = 2;
      }),
  );

program
  .command('export')
  .description('Write every live user of a tenant to standard output (or --out)')
  .requiredOption('--tenant <slug>', 'tenant slug or id')
  .addOption(new Option('--format <format>', 'output format').choices(['csv', 'ndjson']).default('ndjson'))
  .option('--out <file>', 'write to this file instead of standard output')
  .action((opts: { tenant: string; format: 'csv' | 'ndjson'; out?: string }) =>
    withCore(async (core) => {
      const ctx = await tenantContext(core, opts.tenant);
      const out = opts.out ? fs.createWriteStream(opts.out) : process.stdout;
      const count = await exportUsers(core, ctx, opts.format, out);
      if (opts.out) await new Promise<void>((resolve) => out.end(resolve));
      process.stderr.write(`Exported ${count} users\n`);
    }),
  );

class CliUsageError extends Error {}

program.parseAsync().catch((error: unknown) => {
  if (error instanceof AppError) {
    process.stderr.write(`error ${error.code}: ${error.message}\n`);
    for (const e of error.errors) process.stderr.write(`  ${e.path}: ${e.code} ${e.message}\n`);
  } else if (error instanceof ConfigError || error instanceof CliUsageError || error instanceof StartupError) {
    process.stderr.write(`error: ${error.message}\n`);
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exitCode = 1;
});
