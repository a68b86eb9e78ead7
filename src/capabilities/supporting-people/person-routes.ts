import type { FastifyPluginAsync } from 'fastify';

// Placeholder until this part is built.
export const personRoutes: FastifyPluginAsync = async () => {};
