import { scratchPostgres, startRoster } from './lib.mjs';
import { createLoad } from './load.mjs';
const s = await scratchPostgres('postgres://postgres@127.0.0.1:5432/postgres');
const r = await startRoster({ DATABASE_URL: s.url });
await createLoad({ base: r.base, token: r.key, profile: 'roster', connections: 32, duration: 2 });
console.log(await createLoad({ base: r.base, token: r.key, profile: 'roster', connections: 32, duration: 8 }));
await r.stop(); await s.drop();
