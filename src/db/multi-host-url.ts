/**
 * The libpq multi-host form of DATABASE_URL (`postgres://u@h1:5432,h2:5433/roster?target_session_attrs=read-write`),
 * which `pg` refuses (`TypeError: Invalid URL`): split into its hosts and one single-host URL that carries
 * everything else (user, password, database, ssl and other parameters) for `pg`.
 */

export type TargetSessionAttrs = 'any' | 'read-write' | 'primary';

export interface PostgresHost {
  host: string;
  port: number;
}

export interface MultiHostUrl {
  /** More than one: the client is pointed at each in turn; one: the URL is used as written. */
  hosts: PostgresHost[];
  /** The URL with the first host only and without target_session_attrs: what `pg` is given. */
  singleHostUrl: string;
  targetSessionAttrs: TargetSessionAttrs;
}

const supportedTargets: readonly TargetSessionAttrs[] = ['any', 'read-write', 'primary'];

/** `h`, `h:5433`, `[::1]`, `[::1]:5433` → host and port (5432 when absent). */
function parseHost(text: string, url: string): PostgresHost {
  const match = /^(\[[^\]]+\]|[^:[\]]*)(?::(\d+))?$/.exec(text);
  if (!match) throw new Error(`DATABASE_URL has an unreadable host "${text}" in ${url}`);
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '');
  return { host: host === '' ? 'localhost' : decodeURIComponent(host), port: match[2] ? Number(match[2]) : 5432 };
}

/**
 * @throws Error when the URL is not a postgres:// URL or names an unsupported target_session_attrs.
 */
export function parseMultiHostUrl(url: string): MultiHostUrl {
  const match = /^(postgres(?:ql)?:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/s.exec(url);
  if (!match) throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
  const [, scheme = '', userInfo, hostList = '', rest = ''] = match;
  const hosts = hostList.split(',').map((text) => parseHost(text.trim(), url));
  let targetSessionAttrs: TargetSessionAttrs = 'any';
  const queryStart = rest.indexOf('?');
  let path = rest;
  let query = '';
  if (queryStart >= 0) {
    path = rest.slice(0, queryStart);
    const params = new URLSearchParams(rest.slice(queryStart + 1));
    const target = params.get('target_session_attrs');
    if (target !== null) {
      if (!supportedTargets.includes(target as TargetSessionAttrs)) {
        throw new Error(`DATABASE_URL target_session_attrs=${target} is not supported: use ${supportedTargets.join(', ')}`);
      }
      targetSessionAttrs = target as TargetSessionAttrs;
    }
    // The other parameters are kept as written (a socket directory stays unescaped); only ours is taken out.
    const kept = rest
      .slice(queryStart + 1)
      .split('&')
      .filter((pair) => pair !== '' && !pair.startsWith('target_session_attrs='));
    query = kept.length > 0 ? `?${kept.join('&')}` : '';
  }
  // One host: kept exactly as written (an empty host with ?host=/socket/dir stays pg's business).
  const first = hosts[0] as PostgresHost;
  const hostText = hosts.length === 1 ? hostList : `${first.host.includes(':') ? `[${first.host}]` : first.host}:${first.port}`;
  const singleHostUrl = `${scheme}${userInfo !== undefined ? `${userInfo}@` : ''}${hostText}${path}${query}`;
  return { hosts, singleHostUrl, targetSessionAttrs };
}

/** DATABASE_URL as it may be shown in logs: the password (in the user part or a parameter) replaced by ***. */
export function redactMultiHostUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/?#]*):[^@/?#]*@/, '$1:***@').replace(/([?&][^=&#]*pass[^=&#]*=)[^&#]*/gi, '$1***');
}
