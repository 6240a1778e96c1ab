// The peers (Directus, better-auth), started from a writable, installed copy of the peer harness
// (PEERS_DIR; see its README: copy the folder, run its installs). Roster's repository holds no peer code:
// without PEERS_DIR the peers are skipped and the table says so.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const PEERS_DIR = process.env.PEERS_DIR;

export function peersAvailable() {
  return (
    Boolean(PEERS_DIR) &&
    fs.existsSync(path.join(PEERS_DIR, 'better-auth/node_modules/better-auth')) &&
    fs.existsSync(path.join(PEERS_DIR, 'directus/node_modules/@directus/api'))
  );
}

const script = (name) => path.join(PEERS_DIR, 'scripts', name);

/** Starts a fresh peer on a fresh database of that kind. */
export async function startPeer(peer, db) {
  execFileSync('bash', [script(`${peer}-up.sh`), db], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PEERS: PEERS_DIR },
  });
  const pid = Number(fs.readFileSync(path.join(PEERS_DIR, 'state', `${peer}.pid`), 'utf8'));
  if (peer === 'better-auth') {
    return {
      peer,
      pid,
      base: 'http://127.0.0.1:3005',
      token: fs.readFileSync(path.join(PEERS_DIR, 'state/better-auth.token'), 'utf8').trim(),
      stop: () => stopPeer(peer),
    };
  }
  const base = 'http://127.0.0.1:8055';
  const token = 'peers-bench-directus-admin-token';
  // As the harness does: users get a role without app access, so they take none of the licence's seats.
  const res = await fetch(`${base}/roles`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bench User' }),
  });
  const role = (await res.json()).data.id;
  return { peer, pid, base, token, role, stop: () => stopPeer(peer) };
}

function stopPeer(peer) {
  execFileSync('bash', [script('stop.sh'), peer], { stdio: 'ignore', env: { ...process.env, PEERS: PEERS_DIR } });
}
