/** Runs once before all test files: says plainly when the PostgreSQL half of the suite is skipped. */
export default function setup(): void {
  if (!process.env.TEST_DATABASE_URL) {
    process.stdout.write('PostgreSQL tests skipped: TEST_DATABASE_URL is not set (e.g. TEST_DATABASE_URL=postgres://127.0.0.1:5432/test)\n');
  } else {
    process.stdout.write(`PostgreSQL tests run against ${process.env.TEST_DATABASE_URL.replace(/\/\/[^@]*@/, '//')}\n`);
  }
}
