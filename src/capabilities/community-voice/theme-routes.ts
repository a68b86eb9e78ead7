import type { FastifyPluginAsync } from 'fastify';

export const themeRoutes: FastifyPluginAsync = async () => {};
