#!/usr/bin/env node
// Two Roster processes on one PostgreSQL behind a round-robin (the load generator alternates between
// them): combined create throughput against one process, and correctness: no duplicate user for the same
// email sent to both at once, and each user.created event delivered exactly once to a webhook.
//
//   npm run build && BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/two-nodes.mjs
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { scratchPostgres, startRoster } from './lib.mjs';
import { createLoad } from './load.mjs';

/** A webhook receiver on loopback counting deliveries per event id (the webhook-id header). */
function receiver() {
  const seen = new Map();
  const server = http.createServer((req, res) => {
    const id = req.headers['webhook-id'];
    req.resume();
    req.on('end', () => {
      if (typeof id === 'string') seen.set(id, (seen.get(id) ?? 0) + 1);
      res.writeHead(200).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}/hook`, seen, close: () => server.close() }),
    ),
  );
}

export async function twoNodes(adminUrl, { duration = 8, connections = 32 } = {}) {
  const scratch = await scratchPostgres(adminUrl);
  const hook = await receiver();
  const a = await startRoster({ DATABASE_URL: scratch.url });
  const b = await startRoster({ DATABASE_URL: scratch.url }, { tenantExists: true });
  const db = new pg.Client({ connectionString: scratch.url });
  await db.connect();
  try {
    await a.call('POST', '/v1/webhooks', { url: hook.url, eventTypes: ['user.created'] });
    const one = await createLoad({ base: a.base, token: a.key, profile: 'roster', connections, duration });
    const [onA, onB] = await Promise.all(
      [a, b].map((node) => createLoad({ base: node.base, token: a.key, profile: 'roster', connections: connections / 2, duration })),
    );

    // The same 100 emails sent to both nodes at once: each must exist once, the other request a 409.
    const statuses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        [a, b].map((node) =>
          fetch(`${node.base}/v1/users`, {
            method: 'POST',
            headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ email: `race-${i}@example.com` }),
          }).then((r) => r.status),
        ),
      ).flat(),
    );
    const dupRows = (
      await db.query(
        'select count(*)::int as n from (select email_normalized from users where deleted_at is null and email_normalized is not null group by tenant_id, email_normalized having count(*) > 1) d',
      )
    ).rows[0].n;

    // Every committed user.created must reach the receiver once; both nodes' workers deliver.
    const events = (await db.query("select count(*)::int as n from events where type = 'user.created'")).rows[0].n;
    const deadline = Date.now() + 180_000;
    while (hook.seen.size < events && Date.now() < deadline) await sleep(500);
    const twice = [...hook.seen.values()].filter((n) => n > 1).length;
    return {
      one: one.perSecond,
      two: onA.perSecond + onB.perSecond,
      nonOk: one.non2xx + onA.non2xx + onB.non2xx,
      raceCreated: statuses.filter((s) => s === 201).length,
      raceConflicts: statuses.filter((s) => s === 409).length,
      dupRows,
      events,
      delivered: hook.seen.size,
      deliveredTwice: twice,
    };
  } finally {
    await db.end();
    await a.stop();
    await b.stop();
    hook.close();
    await scratch.drop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await twoNodes(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', {
    duration: Number(process.env.DURATION ?? 8),
  });
  console.log(JSON.stringify(r, null, 2));
}
