import type { FastifyPluginAsync } from 'fastify';

export const modelRoutes: FastifyPluginAsync = async () => {};
