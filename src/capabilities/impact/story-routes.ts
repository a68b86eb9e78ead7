import type { FastifyPluginAsync } from 'fastify';

export const storyRoutes: FastifyPluginAsync = async () => {};
