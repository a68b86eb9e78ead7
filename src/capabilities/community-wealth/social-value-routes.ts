import type { FastifyPluginAsync } from 'fastify';

// Being written: see var/briefs.
export const socialValueRoutes: FastifyPluginAsync = async () => {};
