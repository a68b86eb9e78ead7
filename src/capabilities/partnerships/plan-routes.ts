import type { FastifyPluginAsync } from 'fastify';

// Being written: see src/capabilities/partnerships/index.ts for what belongs here.
export const planRoutes: FastifyPluginAsync = async () => {};
