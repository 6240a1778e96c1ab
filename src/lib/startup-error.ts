/**
 * A reason a process cannot start that the operator can fix (a port in use, a database out of reach):
 * `main` prints its message alone, without a stack, and exits with status 1.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
