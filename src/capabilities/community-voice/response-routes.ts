import type { FastifyPluginAsync } from 'fastify';

export const responseRoutes: FastifyPluginAsync = async () => {};
