import type { FastifyPluginAsync } from 'fastify';

// Being written: see var/briefs.
export const spendRoutes: FastifyPluginAsync = async () => {};
