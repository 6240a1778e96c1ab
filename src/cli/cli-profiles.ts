import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPrototypeKey, nullObject, setOwn } from '../lib/safe-input.js';
import { CliUsageError } from './cli-output.js';

/** One saved server: its URL, a key, and optionally the tenant a platform key acts on. */
export interface Profile {
  url: string;
  key: string;
  tenant?: string;
}

export interface ProfileFile {
  default?: string;
  profiles: Record<string, Profile>;
}

/** Where a remote command sends its requests. */
export interface Connection {
  url: string;
  key: string;
  tenant?: string;
  /** Where the connection came from, for messages (never the key). */
  source: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function profilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ROSTER_CONFIG) return path.resolve(env.ROSTER_CONFIG);
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'roster', 'profiles.json');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The profile file, or an empty one when it does not exist. A malformed file is a usage error naming the file. */
export function readProfiles(file = profilePath()): ProfileFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new CliUsageError(`cannot read the profile file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliUsageError(`the profile file ${file} is not valid JSON`);
  }
  if (!isRecord(parsed) || !isRecord(parsed.profiles)) throw new CliUsageError(`the profile file ${file} has no "profiles" object`);
  const profiles = nullObject<Profile>();
  for (const [name, value] of Object.entries(parsed.profiles)) {
    if (!isRecord(value) || typeof value.url !== 'string' || typeof value.key !== 'string')
      throw new CliUsageError(`profile "${name}" in ${file} needs "url" and "key" strings`);
    if (isPrototypeKey(name)) throw new CliUsageError(`the profile file ${file} has a forbidden profile name "${name}"`);
    setOwn<Profile>(profiles, name, {
      url: value.url,
      key: value.key,
      ...(typeof value.tenant === 'string' ? { tenant: value.tenant } : {}),
    });
  }
  return { ...(typeof parsed.default === 'string' ? { default: parsed.default } : {}), profiles };
}

/** Writes the file readable by its owner only (it holds keys), atomically through a temporary file. */
export function writeProfiles(content: ProfileFile, file = profilePath()): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify({ ...content, profiles: { ...content.profiles } }, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
  fs.chmodSync(file, 0o600);
}

export function checkProfileName(name: string): void {
  if (!NAME.test(name) || isPrototypeKey(name)) throw new CliUsageError('a profile name is 1-64 letters, digits, ".", "_" or "-"');
}

/** A server URL: http(s), no user or password in it (the key goes in a header). Answers it without a trailing slash. */
export function checkServerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliUsageError('the server URL is not a URL (e.g. https://roster.example.com)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliUsageError('the server URL must start with http:// or https://');
  if (url.username || url.password) throw new CliUsageError('put the key in --key or ROSTER_KEY, not in the URL');
  if (url.search || url.hash) throw new CliUsageError('the server URL takes no query or fragment');
  return url.toString().replace(/\/+$/, '');
}

/**
 * The server a command talks to, or undefined for the local store. Order: --url/--key, then
 * ROSTER_URL/ROSTER_KEY, then the profile named by --profile or ROSTER_PROFILE, then the file's default.
 */
export function resolveConnection(
  options: { url?: string; key?: string; profile?: string },
  env: NodeJS.ProcessEnv = process.env,
): Connection | undefined {
  const url = options.url ?? (env.ROSTER_URL || undefined);
  const key = options.key ?? (env.ROSTER_KEY || undefined);
  const profileName = options.profile ?? (env.ROSTER_PROFILE || undefined);
  if (url !== undefined || key !== undefined) {
    if (url === undefined) throw new CliUsageError('a key was given without a server: add --url or ROSTER_URL');
    if (key === undefined) throw new CliUsageError('a server was given without a key: add --key or ROSTER_KEY');
    return { url: checkServerUrl(url), key, source: options.url !== undefined ? '--url' : 'ROSTER_URL' };
  }
  const file = profilePath(env);
  const content = readProfiles(file);
  const name = profileName ?? content.default;
  if (name === undefined) return undefined;
  const profile = Object.hasOwn(content.profiles, name) ? content.profiles[name] : undefined;
  if (!profile) throw new CliUsageError(`no profile "${name}" in ${file} (roster profile list)`);
  return {
    url: checkServerUrl(profile.url),
    key: profile.key,
    ...(profile.tenant ? { tenant: profile.tenant } : {}),
    source: `profile ${name}`,
  };
}
