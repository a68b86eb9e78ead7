import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hardProfile } from '../support/profile.ts';
import { coordinator, freePort, HttpClient, preparePostgres, sleep, startServer, type Server } from './harness.ts';

/**
 * PostgreSQL stopped and started again under load, on a private cluster made for the test: while it is down every
 * request gets a clean 503 (a "service unavailable" page for a browser, problem+json for the API, /healthz saying
 * the database is unreachable, each with Retry-After) within the request's time limit, never a 500 and never a
 * hang; once it is back the same Patchwork process serves again. One stop in `npm test`, three in the hard profile.
 */
const bin = '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);
const asPostgres = (command: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', `${bin}/${command}`, ...args], { timeout: 120_000 });
const cycles = hardProfile ? 3 : 1;
const clusterSkip = await run(`${bin}/pg_ctl`, ['--version']).then(() => null, () => 'PostgreSQL 15 binaries are not installed');

describe.skipIf(clusterSkip !== null)('PostgreSQL restarted under load', () => {
  let dir = '';
  let port = 0;
  let server: Server | undefined;
  let drop: (() => Promise<void>) | undefined;
  const pgctl = (...args: string[]) => asPostgres('pg_ctl', ['-D', path.join(dir, 'cluster'), '-w', '-t', '60', ...args]);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patchwork-fault-pg-'));
    const { uid, gid } = await run('id', ['-u', 'postgres']).then(async ({ stdout }) => ({ uid: Number(stdout), gid: Number((await run('id', ['-g', 'postgres'])).stdout) }));
    await chown(dir, uid, gid);
    port = await freePort();
    await asPostgres('initdb', ['-D', path.join(dir, 'cluster'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    await pgctl('start', '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`);
    const target = await preparePostgres(undefined, `postgres://postgres@127.0.0.1:${port}/postgres`);
    drop = target.drop;
    server = await startServer({ DATABASE_URL: target.url, PATCHWORK_DATA_DIR: dir });
  }, 240_000);

  afterAll(async () => {
    await server?.kill();
    await pgctl('start', '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`).catch(() => {});
    await drop?.().catch(() => {});
    await pgctl('stop', '-m', 'immediate').catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }, 240_000);

  it('answers 503 while the database is down and recovers without a restart', async () => {
    const browser = new HttpClient(server!.url);
    await browser.signIn(coordinator);
    const api = new HttpClient(server!.url);
    await api.signIn(coordinator);
    const probes = [
      { name: 'page', send: () => browser.get('/account', {}, 15_000), kind: 'text/html' },
      { name: 'api', send: () => api.get('/api/v1/me', { accept: 'application/json' }, 15_000), kind: 'application/problem+json' },
      // As a load balancer asks: no cookies.
      { name: 'health', send: () => new HttpClient(server!.url).get('/healthz', {}, 15_000), kind: 'application/json' },
    ];
    for (const probe of probes) expect((await probe.send()).status, probe.name).toBe(200);

    for (let cycle = 0; cycle < cycles; cycle++) {
      // Load throughout: a steady stream of requests of every kind, each one's outcome kept.
      let phase: 'up' | 'stopping' | 'down' | 'starting' | 'back' = 'up';
      const outcomes: { phase: string; probe: string; status: number | string; type: string; retryAfter: string | null; body: string }[] = [];
      let running = true;
      const load = Promise.all(
        probes.map(async (probe) => {
          while (running) {
            const at = phase;
            try {
              const r = await probe.send();
              outcomes.push({ phase: at, probe: probe.name, status: r.status, type: r.headers.get('content-type') ?? '', retryAfter: r.headers.get('retry-after'), body: r.body.slice(0, 2000) });
            } catch (error) {
              // A time-out here is a hang: the request got no answer within 15 seconds.
              outcomes.push({ phase: at, probe: probe.name, status: (error as Error).name, type: '', retryAfter: null, body: String(error) });
            }
            await sleep(50);
          }
        }),
      );
      await sleep(500);
      phase = 'stopping';
      await pgctl('stop', '-m', 'fast');
      phase = 'down';
      await sleep(hardProfile ? 6000 : 3000);
      phase = 'starting';
      await pgctl('start', '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`);
      // Back within a few attempts: pooled connections to the old server are dropped, new ones made.
      for (let i = 0; i < 100 && outcomes.filter((o) => o.phase === 'back' && o.status === 200).length < 6; i++) {
        if (i === 2) phase = 'back';
        await sleep(200);
      }
      running = false;
      await load;

      const bad = outcomes.filter((o) => typeof o.status !== 'number' || (o.status !== 200 && o.status !== 503));
      expect(bad.map((o) => `${o.phase} ${o.probe}: ${o.status} ${o.body.slice(0, 300)}`), 'only 200 or 503, never a 500 or a hang').toEqual([]);
      const down = outcomes.filter((o) => o.phase === 'down');
      expect(down.length).toBeGreaterThan(0);
      for (const o of down) {
        expect(o.status, `${o.probe} while down`).toBe(503);
        expect(o.retryAfter, `${o.probe} Retry-After`).toMatch(/^\d+$/);
        expect(o.type, `${o.probe} content type`).toContain(probes.find((p) => p.name === o.probe)!.kind);
        expect(o.body).not.toMatch(/ECONNREFUSED|terminating connection|at .*\.ts:\d+/);
      }
      expect(down.find((o) => o.probe === 'page')!.body).toContain('Sorry, the service is unavailable');
      expect(JSON.parse(down.find((o) => o.probe === 'api')!.body)).toMatchObject({ status: 503, title: 'Sorry, the service is unavailable' });
      expect(JSON.parse(down.find((o) => o.probe === 'health')!.body)).toMatchObject({ status: 'database-unreachable' });
      const back = outcomes.filter((o) => o.phase === 'back');
      expect(back.slice(-3).map((o) => o.status), 'serving again after the restart').toEqual([200, 200, 200]);
    }
    // Writes work again too, and the signed-in session survived.
    await browser.get('/organisations/test-org/voice/themes');
    expect((await browser.post('/organisations/test-org/voice/themes', { name: 'After the restart' })).status).toBe(303);
  }, hardProfile ? 900_000 : 240_000);
});
