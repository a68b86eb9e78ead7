import type { FastifyPluginAsync } from 'fastify';

export const fundRoutes: FastifyPluginAsync = async () => {};
