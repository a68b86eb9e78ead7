import type { FastifyPluginAsync } from 'fastify';

// Being written: see src/capabilities/community-assets/index.ts for what belongs here.
export const assetRoutes: FastifyPluginAsync = async () => {};
