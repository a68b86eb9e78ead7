import type { FastifyPluginAsync } from 'fastify';

export const campaignRoutes: FastifyPluginAsync = async () => {};
