import type { FastifyPluginAsync } from 'fastify';

export const grantRoutes: FastifyPluginAsync = async () => {};
