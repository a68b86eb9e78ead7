import type { FastifyPluginAsync } from 'fastify';
import { access } from '../../platform/auth/permissions.ts';
import type { Capability } from '../../platform/capability.ts';
import { membershipsOf } from '../accounts/service.ts';

const routes: FastifyPluginAsync = async (app) => {
  app.get('/', { config: { access: access.public } }, async (request, reply) => {
    const memberships = request.user ? await membershipsOf(app.database.db, request.user.id) : [];
    return reply.page('home/views/home.njk', { pageTitle: 'Neighbourhood working, together', memberships });
  });
};

export const home: Capability = {
  name: 'home',
  purpose: 'The front page: what Patchwork is for, and where a signed-in person can go next.',
  routes,
};
