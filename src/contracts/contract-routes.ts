import type { FastifyInstance } from 'fastify';
import type { ContractOptions } from './shared/contract-plugin.js';
import { fleetRoutes } from './fleet/fleet.routes.js';
import { rolloutRoutes } from './rollout/rollout.routes.js';
import { pulseRoutes } from './pulse/pulse.routes.js';
import { rocketChatRoutes } from './rocketchat/rocketchat.routes.js';
import { certificationRoutes } from './certification/certification.routes.js';

/**
 * The five seed contracts, each under its own base URL. Each is an adapter over the one create
 * path: it maps its request in, the user and errors out, and authenticates its own way.
 */
export async function registerContracts(app: FastifyInstance, options: ContractOptions): Promise<void> {
  await app.register(rolloutRoutes, { ...options, prefix: '/compat/rollout' });
  await app.register(pulseRoutes, { ...options, prefix: '/compat/pulse' });
  await app.register(rocketChatRoutes, { ...options, prefix: '/compat/rocketchat' });
  await app.register(certificationRoutes, { ...options, prefix: '/compat/certification' });
  await app.register(fleetRoutes, { ...options, prefix: '/compat/fleet' });
}
