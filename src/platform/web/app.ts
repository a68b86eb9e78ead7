import { randomUUID } from 'node:crypto';
import path from 'node:path';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { fieldWithNul, uploadedName } from './forms.ts';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type nunjucks from 'nunjucks';
import { z } from 'zod';
import { sql } from 'drizzle-orm';
import { capabilities } from '../../capabilities/index.ts';
import { authorize, requireAccessDecision, access, type Access, type OrganisationContext, type PartnershipContext, type SupportContext } from '../auth/permissions.ts';
import { findSession, sessionCookieName, type Session, type SessionUser } from '../auth/sessions.ts';
import type { Config } from '../config/config.ts';
import { resolveSecretKey } from '../config/secret-key.ts';
import { databaseRateLimitStore } from './rate-limit-store.ts';
import { keepStatisticsFresh } from '../db/statistics.ts';
import { resolveKeyring, type Keyring } from '../crypto/envelope.ts';
import type { Database } from '../db/database.ts';
import { buildAssets } from './assets.ts';
import { isDatabaseUnavailable, registerErrorHandling, retryAfterSeconds } from './errors.ts';
import { PageCache, registerPageCache } from './page-cache.ts';
import { createViews } from './views.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    database: Database;
    views: nunjucks.Environment;
    /** Every route as registered, for the route permission test and the docs. */
    routeList: { method: string; url: string }[];
    pageCache: PageCache;
    /** Unwraps the data keys that protect personal data at rest. */
    keyring: Keyring;
  }
  interface FastifyRequest {
    session: Session | null;
    user: SessionUser | null;
    /** Set by the permission check on organisation-scoped routes. */
    organisation: OrganisationContext | null;
    /** Set by the permission check on partnership-scoped routes. */
    partnership: PartnershipContext | null;
    /** Set by the permission check on a supported person's routes: whose record, and on what basis. */
    support: SupportContext | null;
  }
  interface FastifyReply {
    /** Render a page inside the layout, with the visitor, CSRF token and any flash message. */
    page(template: string, context?: Record<string, unknown>, statusCode?: number): FastifyReply;
    /** A one-time success message shown on the next page. */
    flash(message: string): FastifyReply;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

const flashCookie = 'pw_flash';
const csrfUserInfo = (request: FastifyRequest) => request.session?.tokenHash ?? 'anonymous';
const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type BuildOptions = {
  config: Config;
  database: Database;
  logger?: FastifyServerOptions['logger'];
};

export async function buildApp({ config, database, logger }: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    genReqId: () => randomUUID(),
    // A request id from outside could be forged to confuse the audit log; always make our own.
    requestIdHeader: false,
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const assets = await buildAssets(path.join(config.dataDir, 'cache'));
  app.decorate('config', config);
  app.decorate('database', database);
  app.decorate('keyring', await resolveKeyring(config));
  app.decorate('views', createViews(assets.urls, { basemap: config.basemap }));
  app.decorateRequest('session', null);
  app.decorateRequest('user', null);
  app.decorateRequest('organisation', null);
  app.decorateRequest('partnership', null);
  app.decorateRequest('support', null);

  // PGlite has no autovacuum to keep the planner's statistics fresh: the server does it (platform/db/statistics.ts).
  let stopStatistics = () => {};
  app.addHook('onReady', async () => {
    stopStatistics = keepStatisticsFresh(database, (error) => app.log.warn({ err: error }, 'refreshing the planner statistics failed'));
  });
  app.addHook('onClose', async () => stopStatistics());

  // Registered first, so that no route (including the plugins' own) escapes the access rule check.
  const routeList: { method: string; url: string }[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    requireAccessDecision(route);
    for (const method of [route.method].flat()) if (method !== 'HEAD') routeList.push({ method, url: route.url });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Patchwork API',
        version: '1',
        description: 'Open data and neighbourhood working records from Patchwork. Errors are RFC 9457 problem details.',
      },
    },
    transform: jsonSchemaTransform,
    // Only the JSON API is documented; HTML pages are for people.
    hideUntagged: true,
  });
  await app.register(cookie);
  await app.register(formbody);
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...(config.basemap ? [config.basemap.origin] : [])],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", ...(config.basemap ? [config.basemap.origin] : [])],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    // HSTS only means something over HTTPS, which a proxy in front provides.
    hsts: config.trustProxy ? { maxAge: 31536000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'same-origin' },
  });
  const secretKey = await resolveSecretKey(config);
  // Counted in the database, so servers behind a load balancer share each limit (docs/SCALING.md).
  await app.register(rateLimit, { global: false, store: databaseRateLimitStore(database, secretKey) });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'pw_csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto' },
    csrfOpts: { hmacKey: secretKey },
    // Tokens are bound to the session, so one issued before sign-in is useless after it.
    getUserInfo: csrfUserInfo,
  });

  // PostgreSQL text cannot hold a NUL character, so an address carrying one (in its path or query) would fail in the
  // first query that used it; it names nothing here, so it is refused up front as a bad request.
  app.addHook('onRequest', async (request) => {
    if (/%00|\u0000/i.test(request.url)) throw Object.assign(new Error('The address contains a NUL character'), { statusCode: 400 });
  });
  // Nor can an answer carry one, whichever form it comes from: refused once here, naming the field, before any
  // route reads it. (Uploaded files are the importers' to check, row by row.)
  app.addHook('preValidation', async (request) => {
    const field = fieldWithNul(request.body);
    if (field === null) return;
    const message = `${field ? `The answer to ‘${field}’` : 'An answer'} contains a NUL character, which cannot be stored: remove it and send the form again`;
    throw Object.assign(new Error(message), { statusCode: 400, validation: [{ instancePath: field ? `/${field}` : '', message }] });
  });

  app.addHook('onRequest', async (request) => {
    const token = request.cookies[sessionCookieName];
    if (!token) return;
    request.session = await findSession(database.db, token);
    request.user = request.session?.user ?? null;
  });

  // File uploads (local data): read into the body before the CSRF check, which needs the form's token; the
  // limits bound what an unchecked request can make the server read.
  // The file arrives as its bytes; its name as the person's computer gave it rides along (uploadedFileName).
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: 25 * 1024 * 1024, files: 1, fields: 30, parts: 32 },
    onFile: async (part) => {
      const bytes = await part.toBuffer();
      if (part.filename) Object.defineProperty(bytes, uploadedName, { value: part.filename, enumerable: false });
    },
  });

  // CSRF first (a forged request learns nothing, not even whether it would have been allowed), then
  // the permission check; both before the body is validated.
  app.addHook('preValidation', (request, reply, done) => {
    if (unsafeMethods.has(request.method) && !request.is404) app.csrfProtection(request, reply, done);
    else done();
  });
  app.addHook('preValidation', authorize);

  // Public pages kept whole for visitors who are not signed in (and have no message waiting for them).
  const versions = capabilities.flatMap((c) => (c.dataVersion ? [sql`coalesce((${c.dataVersion})::text, '')`] : []));
  const pageCache = new PageCache(database, versions.length ? sql.join(versions, sql` || '|' || `) : sql`''`);
  app.decorate('pageCache', pageCache);
  registerPageCache(app, pageCache, (request) => !request.user && !request.cookies[flashCookie], (config) => config.access?.kind === 'public');

  app.decorateReply('page', function (this, template: string, context: Record<string, unknown> = {}, statusCode = 200) {
    const request = this.request;
    const flash = request.cookies[flashCookie];
    if (flash) this.clearCookie(flashCookie, { path: '/' });
    if (request.user) this.header('cache-control', 'private, no-store');
    const html = app.views.render(template, {
      user: request.user,
      // Made only when a form on the page prints it: minting one sets the CSRF cookie, and a page that sets
      // a cookie cannot be kept for other visitors (see PageCache).
      csrfToken: { toString: () => this.generateCsrf({ userInfo: csrfUserInfo(request) }) },
      currentPath: request.url.split('?')[0],
      flash,
      ...context,
    });
    return this.code(statusCode).type('text/html; charset=utf-8').send(html);
  });
  app.decorateReply('flash', function (this, message: string) {
    return this.setCookie(flashCookie, message, { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: 60 });
  });

  registerErrorHandling(app);

  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/assets/:name',
    { config: { access: access.public }, schema: { params: z.object({ name: z.string().max(200) }) } },
    async (request, reply) => {
      const asset = assets.files.get(request.params.name);
      if (!asset) return reply.callNotFound();
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .type(asset.contentType)
        .send(asset.body);
    },
  );

  typed.get(
    '/healthz',
    {
      config: { access: access.public },
      schema: {
        tags: ['platform'],
        summary: 'Liveness and readiness: ok once every migration is applied',
        response: {
          200: z.object({ status: z.literal('ok') }),
          503: z.union([
            z.object({ status: z.literal('migrating'), applied: z.number(), expected: z.number() }),
            z.object({ status: z.literal('database-unreachable'), detail: z.string() }),
          ]),
        },
      },
    },
    async (_request, reply) => {
      let status: { applied: number; expected: number };
      try {
        status = await database.migrationStatus();
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        // A load balancer takes this server out of rotation until the database is back; no restart needed.
        return reply
          .code(503)
          .header('retry-after', String(retryAfterSeconds))
          .send({ status: 'database-unreachable' as const, detail: `The ${database.engine === 'postgres' ? 'PostgreSQL' : 'embedded'} database cannot be reached` });
      }
      const { applied, expected } = status;
      if (applied < expected) return reply.code(503).send({ status: 'migrating' as const, applied, expected });
      return { status: 'ok' as const };
    },
  );

  for (const capability of capabilities) {
    await app.register(capability.routes);
  }

  typed.get('/api/v1/openapi.json', { config: { access: access.public } }, async () => app.swagger());

  return app;
}
