import type { FastifyPluginAsync } from 'fastify';

export const votingRoutes: FastifyPluginAsync = async () => {};
