import type { FastifyPluginAsync } from 'fastify';
import { access } from '../../platform/auth/permissions.ts';
import type { Capability } from '../../platform/capability.ts';
import { comparabilityCaveat, listEditions } from '../indicators/service.ts';

const routes: FastifyPluginAsync = async (app) => {
  app.get('/about/data', { config: { access: access.public } }, async (_request, reply) => {
    const editions = (await listEditions(app.database.db)).map((e) => ({ ...e, lsoaCountText: e.lsoaCount.toLocaleString('en-GB') }));
    return reply.page('about/views/about-data.njk', { pageTitle: 'About the data', editions, caveat: comparabilityCaveat });
  });
};

export const about: Capability = {
  name: 'about',
  purpose: 'What data Patchwork uses, where it comes from, its licences, and how every figure is defined.',
  routes,
};
