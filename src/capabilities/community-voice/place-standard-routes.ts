import type { FastifyPluginAsync } from 'fastify';

export const placeStandardRoutes: FastifyPluginAsync = async () => {};
