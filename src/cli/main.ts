#!/usr/bin/env node
import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/config.js';
import { databaseFromConfig } from '../app.js';
import { migrateToLatest } from '../db/migrate.js';
import { AppError } from '../errors/app-error.js';
import { serve } from '../serve.js';
import { cliPrincipal, tenantContext, withCore } from './cli-context.js';

const program = new Command('roster').description('Roster user directory: server and administration').showHelpAfterError();

function print(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

program.command('serve').description('Run the HTTP server (same as npm start)').action(() => serve());

program
  .command('migrate')
  .description('Apply pending database migrations and exit')
  .action(async () => {
    const database = databaseFromConfig(loadConfig());
    try {
      const applied = await migrateToLatest(database);
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date\n');
    } finally {
      await database.close();
    }
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
  .option('--json', 'print the key as JSON')
  .action((opts: { tenant?: string; role: string; platform?: boolean; name: string; json?: boolean }) =>
    withCore(async (core) => {
      if (!opts.platform && !opts.tenant) throw new CliUsageError('give --tenant <slug> or --platform');
      const tenantId = opts.platform ? null : (await tenantContext(core, opts.tenant as string)).tenantId;
      const key = await core.apiKeys.createKey(cliPrincipal, tenantId, { name: opts.name, role: opts.role });
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
      tenant: string; email?: string; username?: string; passwordStdin?: boolean; givenName?: string; familyName?: string;
      displayName?: string; role?: string[]; externalId?: string; inactive?: boolean; json?: boolean;
    }) =>
      withCore(async (core) => {
        const ctx = await tenantContext(core, opts.tenant);
        const input = Object.fromEntries(
          Object.entries({
            email: opts.email, username: opts.username, givenName: opts.givenName, familyName: opts.familyName,
            displayName: opts.displayName, roles: opts.role, externalId: opts.externalId,
            password: opts.passwordStdin ? await readStdin() : undefined,
            active: opts.inactive ? false : undefined,
          }).filter(([, v]) => v !== undefined),
        );
        const user = await core.users.createUser(ctx, input);
        print(!!opts.json, user, `Created user ${user.email ?? user.username} (${user.id})`);
      }),
  );

class CliUsageError extends Error {}

program.parseAsync().catch((error: unknown) => {
  if (error instanceof AppError) {
    process.stderr.write(`error ${error.code}: ${error.message}\n`);
    for (const e of error.errors) process.stderr.write(`  ${e.path}: ${e.code} ${e.message}\n`);
  } else if (error instanceof ConfigError || error instanceof CliUsageError) {
    process.stderr.write(`error: ${error.message}\n`);
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exitCode = 1;
});
