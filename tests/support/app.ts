import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { Engine } from '../../src/platform/db/database.ts';
import { createTestDatabase, type TestDatabase } from './engines.ts';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { memberships, organisations, roles, type Role } from '../../src/platform/auth/schema.ts';
import { loadConfig, type Config } from '../../src/platform/config/config.ts';
import type { Database } from '../../src/platform/db/database.ts';
import { buildApp } from '../../src/platform/web/app.ts';
import { createUser } from '../../src/capabilities/accounts/service.ts';

export const testPassword = 'correct horse battery staple';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ PATCHWORK_DATA_DIR: 'var/test-data', LOG_LEVEL: 'silent', NODE_ENV: 'test', ...env });
}

export async function startTestApp(database: Database, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ config: testConfig(env), database, logger: false });
  await app.ready();
  return app;
}

/** The kinds of visitor every route is checked against. */
export const visitors = ['anonymous', 'outsider', ...roles, 'site-admin'] as const;
export type Visitor = (typeof visitors)[number];

export const emailOf = (visitor: Exclude<Visitor, 'anonymous'>) => `${visitor}@example.org`;

/**
 * People and an organisation ("test-org") to test with: one member per role, a signed-in person with
 * no membership ("outsider") and a site administrator.
 */
export async function seedPeople(database: Database): Promise<{ organisationId: string; userIds: Record<string, string> }> {
  const db = database.db;
  const [org] = await db
    .insert(organisations)
    .values({ slug: 'test-org', name: 'Test Organisation', kind: 'vcse', location: 'SRID=4326;POINT(-2.63 53.54)' })
    .returning({ id: organisations.id });
  const userIds: Record<string, string> = {};
  for (const visitor of visitors) {
    if (visitor === 'anonymous') continue;
    const created = await createUser(
      db,
      { email: emailOf(visitor), name: `Test ${visitor}`, password: testPassword, isSiteAdmin: visitor === 'site-admin' },
      cliActor,
    );
    if (!created.ok) throw new Error(created.message);
    userIds[visitor] = created.value.id;
    if ((roles as readonly string[]).includes(visitor)) {
      await db.insert(memberships).values({ userId: created.value.id, organisationId: org!.id, role: visitor as Role });
    }
  }
  return { organisationId: org!.id, userIds };
}

/** One more person, with a role in an organisation, signing in with the test password. */
export async function addPerson(database: Database, email: string, organisationId: string, role: Role, name = `Sample ${email.split('@')[0]}`): Promise<string> {
  const created = await createUser(database.db, { email, name, password: testPassword, isSiteAdmin: false }, cliActor);
  if (!created.ok) throw new Error(created.message);
  await database.db.insert(memberships).values({ userId: created.value.id, organisationId, role });
  return created.value.id;
}

/** A browser stand-in for app.inject: keeps cookies and finds CSRF tokens in pages. */
export class Client {
  private cookies = new Map<string, string>();
  csrfToken: string | undefined;

  constructor(private readonly app: FastifyInstance) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(response: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now()) || c.value === '';
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1];
    if (token) this.csrfToken = token;
    return response;
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.remember(await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader(), ...headers } }));
  }

  /** Posts a form the way a browser would, with the CSRF token from the last page unless told not to. */
  async post(url: string, form: Record<string, string | string[]> = {}, { csrf = true } = {}): Promise<LightMyRequestResponse> {
    if (csrf && !this.csrfToken) await this.get('/');
    // A list is sent as the same field repeated, as ticked checkboxes are.
    const body = new URLSearchParams(Object.entries({ ...(csrf ? { _csrf: this.csrfToken! } : {}), ...form }).flatMap(([k, v]) => [v].flat().map((one) => [k, one]))).toString();
    return this.remember(
      await this.app.inject({
        method: 'POST',
        url,
        payload: body,
        headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
  }

  /** Posts a multipart form with one file, as a browser does for `enctype="multipart/form-data"`. */
  async postFile(url: string, form: Record<string, string>, file: { field: string; filename: string; content: Buffer | string; type?: string }): Promise<LightMyRequestResponse> {
    if (!this.csrfToken) await this.get('/');
    const boundary = `----patchwork${Math.random().toString(16).slice(2)}`;
    const parts: Buffer[] = [];
    for (const [name, value] of Object.entries({ _csrf: this.csrfToken!, ...form })) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
    }
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\nContent-Type: ${file.type ?? 'text/csv'}\r\n\r\n`));
    parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content));
    parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
    return this.remember(
      await this.app.inject({
        method: 'POST',
        url,
        payload: Buffer.concat(parts),
        headers: { cookie: this.cookieHeader(), 'content-type': `multipart/form-data; boundary=${boundary}` },
      }),
    );
  }

  async signIn(email: string, password = testPassword): Promise<LightMyRequestResponse> {
    await this.get('/sign-in');
    const response = await this.post('/sign-in', { email, password });
    // A new session means new CSRF tokens: fetch a page to pick one up.
    if (response.statusCode === 303) await this.get('/account');
    return response;
  }
}

export type Harness = {
  database: TestDatabase;
  app: FastifyInstance;
  seed: Awaited<ReturnType<typeof seedPeople>>;
};

/**
 * Gives a test file (or describe block) a migrated database on `engine` with seedPeople's people in it,
 * and an app over it; both are torn down afterwards. Read the fields inside tests, not at definition.
 */
export function useSeededApp(engine: Engine, env: Record<string, string> = { SIGN_IN_RATE_LIMIT: '1000' }): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    harness.database = await createTestDatabase(engine);
    harness.seed = await seedPeople(harness.database);
    harness.app = await startTestApp(harness.database, env);
  });
  afterAll(async () => {
    await harness.app?.close();
    await harness.database?.drop();
  });
  return harness;
}
