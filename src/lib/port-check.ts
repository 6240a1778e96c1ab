import net from 'node:net';
import { StartupError } from './startup-error.js';

/** The message for a port that cannot be listened on, naming the setting that chooses it. */
export function portProblem(code: string | undefined, host: string, port: number): string | undefined {
  if (code === 'EADDRINUSE') return `PORT ${port} on ${host} is already in use by another process: stop it, or choose another PORT`;
  if (code === 'EACCES') return `PORT ${port} on ${host} needs more privileges than this process has: choose a PORT above 1023`;
  if (code === 'EADDRNOTAVAIL')
    return `HOST ${host} is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0 for all`;
  return undefined;
}

/**
 * Fails before anything is created (a platform key, migrations) when the server could not listen on
 * HOST:PORT, by listening there for a moment. PORT=0 (any free port) always succeeds.
 * @throws StartupError naming PORT or HOST.
 */
export async function assertCanListen(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new StartupError(portProblem(error.code, host, port) ?? `Cannot listen on ${host}:${port} (HOST, PORT): ${error.message}`)),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
