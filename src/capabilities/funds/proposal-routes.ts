import type { FastifyPluginAsync } from 'fastify';

export const proposalRoutes: FastifyPluginAsync = async () => {};
