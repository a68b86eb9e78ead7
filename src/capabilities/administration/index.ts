import { count, desc, eq, type SQL } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditEvents } from '../../platform/audit/schema.ts';
import { access } from '../../platform/auth/permissions.ts';
import type { Capability } from '../../platform/capability.ts';

const pageSize = 50;

const routes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/admin/audit',
    {
      config: { access: access.siteAdmin },
      schema: {
        querystring: z.object({
          page: z.coerce.number({ message: 'Page must be a number' }).int().min(1, 'Page must be 1 or more').max(100000).default(1),
          action: z.string().trim().max(100).optional(),
        }),
      },
    },
    async (request, reply) => {
      const { page, action } = request.query;
      const where: SQL | undefined = action ? eq(auditEvents.action, action) : undefined;
      const db = app.database.db;
      const [events, [total]] = await Promise.all([
        db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.id)).limit(pageSize).offset((page - 1) * pageSize),
        db.select({ n: count() }).from(auditEvents).where(where),
      ]);
      const pages = Math.max(1, Math.ceil((total?.n ?? 0) / pageSize));
      const query = (p: number) => `/admin/audit?${new URLSearchParams({ ...(action ? { action } : {}), page: String(p) })}`;
      return reply.page('administration/views/audit.njk', {
        pageTitle: 'Audit log',
        events,
        total: total?.n ?? 0,
        action,
        pagination: {
          previous: page > 1 ? { href: query(page - 1) } : undefined,
          next: page < pages ? { href: query(page + 1) } : undefined,
        },
        page,
        pages,
      });
    },
  );
};

export const administration: Capability = {
  name: 'administration',
  purpose: 'Site administration: the audit log of every change.',
  routes,
};
