import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { bundledDataSteps } from '../../src/capabilities/indicators/schema.ts';
import { openDatabase, queryRows, type Database, type Engine } from '../../src/platform/db/database.ts';
import { bundledSteps } from '../../src/capabilities/indicators/bundled-data.ts';
import { seedPeople, testPassword, emailOf } from '../support/app.ts';
import { postgresUrl } from '../support/engines.ts';
import { resolveTemplatePath } from '../support/pglite-template.ts';

/** Helpers for the fault tests: Patchwork as a real child process, over real HTTP, on a real data directory. */

export const repo = process.cwd();

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export type Child = { process: ChildProcess; output: () => string; exited: Promise<number | null> };

export function spawnPatchwork(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['bin/patchwork.mjs', ...args], {
    cwd: repo,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', SIGN_IN_RATE_LIMIT: '100000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { process: child, output: () => output, exited };
}

export async function runPatchwork(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawnPatchwork(args, env);
  const code = await child.exited;
  // 'exit' can come before the pipes are drained.
  await new Promise((r) => setTimeout(r, 50));
  return { code, output: child.output() };
}

export type Server = Child & { url: string; kill(signal?: NodeJS.Signals): Promise<void> };

/** Starts `patchwork serve` and waits until /healthz answers (or the process dies, which fails the test). */
export async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawnPatchwork(['serve'], { PORT: String(port), HOST: '127.0.0.1', ...env });
  const url = `http://127.0.0.1:${port}`;
  let dead = false;
  void child.exited.then(() => (dead = true));
  for (let i = 0; ; i++) {
    if (dead) throw new Error(`patchwork serve exited before it was ready:\n${child.output()}`);
    if (i > 600) throw new Error(`patchwork serve did not become ready:\n${child.output()}`);
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    ...child,
    url,
    async kill(signal = 'SIGKILL') {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill(signal);
      await child.exited;
    },
  };
}

/** A browser stand-in over real HTTP: keeps cookies and the last CSRF token seen in a page. */
export class HttpClient {
  private cookies = new Map<string, string>();
  csrfToken: string | undefined;
  constructor(readonly base: string) {}

  private remember(response: Response, body: string) {
    for (const c of response.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, ...value] = pair!.split('=');
      if (/max-age=0|expires=Thu, 01 Jan 1970/i.test(c) || value.join('=') === '') this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join('='));
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
    if (token) this.csrfToken = token;
  }

  async request(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}, timeoutMs = 20_000) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      body: form ? new URLSearchParams({ _csrf: this.csrfToken ?? '', ...form }).toString() : undefined,
    });
    const body = await response.text();
    this.remember(response, body);
    return { status: response.status, headers: response.headers, body };
  }

  get(path: string, headers?: Record<string, string>, timeoutMs?: number) {
    return this.request('GET', path, undefined, headers, timeoutMs);
  }
  post(path: string, form: Record<string, string>) {
    return this.request('POST', path, form);
  }

  async signIn(email: string): Promise<void> {
    await this.get('/sign-in');
    const response = await this.post('/sign-in', { email, password: testPassword });
    if (response.status !== 303) throw new Error(`sign-in failed with ${response.status}`);
    await this.get('/account');
  }
}

export const coordinator = emailOf('coordinator');

/** Marks the bundled national data as loaded, so `serve` on a new embedded database starts at once. */
async function skipBundledData(database: Database) {
  await database.db.insert(bundledDataSteps).values(bundledSteps.map((s) => ({ step: s.id }))).onConflictDoNothing();
}

/** A seeded PGlite data directory at `dataDir/pglite`, made from the migrated template, closed again. */
export async function preparePglite(dataDir: string, also?: (database: Database) => Promise<void>): Promise<void> {
  const template = new Blob([await readFile(await resolveTemplatePath())]);
  const database = await openDatabase({ engine: 'pglite', dataDir: `${dataDir}/pglite`, loadDataDir: template });
  try {
    await seedPeople(database);
    await skipBundledData(database);
    await also?.(database);
  } finally {
    await database.close();
  }
}

export type PostgresTarget = { url: string; drop(): Promise<void> };

/** A new, migrated and seeded database on the test PostgreSQL server. */
export async function preparePostgres(also?: (database: Database) => Promise<void>, serverUrl = postgresUrl!): Promise<PostgresTarget> {
  const name = `patchwork_fault_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`).finally(() => admin.end());
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ engine: 'postgres', url: url.toString() });
  try {
    await database.migrate();
    await seedPeople(database);
    await skipBundledData(database);
    await also?.(database);
  } finally {
    await database.close();
  }
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`).finally(() => client.end());
    },
  };
}

/** The environment that points `patchwork` at a prepared database. */
export function engineEnv(engine: Engine, where: string, dataDir: string): Record<string, string> {
  return engine === 'pglite' ? { PATCHWORK_DATA_DIR: where } : { DATABASE_URL: where, PATCHWORK_DATA_DIR: dataDir };
}

export async function openAt(engine: Engine, where: string): Promise<Database> {
  return engine === 'pglite' ? openDatabase({ engine: 'pglite', dataDir: `${where}/pglite` }) : openDatabase({ engine: 'postgres', url: where });
}

export async function count(database: Database, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await queryRows<{ n: number }>(database.db, query);
  return Number(row!.n);
}

export const actor = cliActor;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
