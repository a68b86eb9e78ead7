import type { FastifyPluginAsync } from 'fastify';

export const allocationRoutes: FastifyPluginAsync = async () => {};
