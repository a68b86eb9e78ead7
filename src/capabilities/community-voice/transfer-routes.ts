import type { FastifyPluginAsync } from 'fastify';

export const transferRoutes: FastifyPluginAsync = async () => {};
