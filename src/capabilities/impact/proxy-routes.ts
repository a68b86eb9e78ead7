import type { FastifyPluginAsync } from 'fastify';

export const proxyRoutes: FastifyPluginAsync = async () => {};
