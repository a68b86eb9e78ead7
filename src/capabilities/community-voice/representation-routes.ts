import type { FastifyPluginAsync } from 'fastify';

export const representationRoutes: FastifyPluginAsync = async () => {};
