import os from 'node:os';

// argon2 hashing runs on libuv's thread pool, 4 threads unless told otherwise. Size it to the machine so
// batches hash on every core, plus one thread the hasher keeps for logins (see PasswordHasher). This must
// run before anything touches the pool, so entry points import it first.
if (process.env.UV_THREADPOOL_SIZE === undefined) {
  process.env.UV_THREADPOOL_SIZE = String(Math.max(4, os.availableParallelism() + 1));
}
