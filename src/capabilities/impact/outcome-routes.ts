import type { FastifyPluginAsync } from 'fastify';

export const outcomeRoutes: FastifyPluginAsync = async () => {};
