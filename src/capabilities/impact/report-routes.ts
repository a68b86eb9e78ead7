import type { FastifyPluginAsync } from 'fastify';

export const reportRoutes: FastifyPluginAsync = async () => {};
