import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { queryRows, type Engine } from '../../src/platform/db/database.ts';
import { engines } from '../support/engines.ts';
import { fuzzSeed, hardProfile } from '../support/profile.ts';
import { coordinator, engineEnv, HttpClient, openAt, preparePglite, preparePostgres, runPatchwork, sleep, startServer, type Server } from './harness.ts';

/**
 * SIGKILL in the middle of a burst of writes. Concurrent form posts each add a voice theme (the theme and its audit
 * event in one transaction); the server is killed after a varying number of them were acknowledged. On the same
 * data afterwards: every acknowledged theme is there, every theme has its audit event and every audit event its
 * theme (nothing half-written), and the server starts again and takes new writes. One kill in `npm test`; five at
 * varying points, on the same data, in `npm run test:hard`.
 */
const iterations = hardProfile ? 5 : 1;
const inFlight = 6;

describe.each(engines)('SIGKILL during a burst of writes on %s', (engine: Engine) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  });

  it('keeps every acknowledged write and nothing half-written', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'patchwork-fault-burst-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    let where = dir;
    if (engine === 'pglite') await preparePglite(dir);
    else {
      const target = await preparePostgres();
      cleanup.push(target.drop);
      where = target.url;
    }
    const env = engineEnv(engine, where, dir);
    let random = fuzzSeed(7);
    const next = () => ((random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const acknowledged = new Set<string>();
    let serial = 0;

    for (let round = 0; round < iterations; round++) {
      const server: Server = await startServer(env);
      cleanup.push(() => server.kill());
      const client = new HttpClient(server.url);
      await client.signIn(coordinator);
      await client.get('/organisations/test-org/voice/themes');
      if (engine === 'pglite' && round === 0) {
        // A second process on the same embedded database would write over the server's files: refused, clearly.
        const second = await runPatchwork(['db', 'backup', '--out', path.join(dir, 'refused.jsonl.gz')], env);
        expect(second.code, second.output).toBe(2);
        expect(second.output).toContain(`is in use by another Patchwork process (process ${server.process.pid})`);
      }
      const killAfter = 5 + Math.floor(next() * (hardProfile ? 60 : 20));
      let acksThisRound = 0;
      let killed = false;
      const worker = async () => {
        while (!killed) {
          const name = `Fault theme ${++serial}`;
          try {
            const response = await client.post('/organisations/test-org/voice/themes', { name, description: `Written in round ${round}` });
            if (response.status === 303) {
              acknowledged.add(name);
              if (++acksThisRound >= killAfter && !killed) {
                killed = true;
                await server.kill('SIGKILL');
              }
            } else if (!killed) throw new Error(`${name}: unexpected ${response.status}: ${response.body.slice(0, 300)}`);
          } catch (error) {
            // A request cut off by the kill has no answer: it may or may not have been written.
            if (!killed) throw error;
          }
        }
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
      await server.exited;
      await sleep(100);

      const database = await openAt(engine, where);
      try {
        const themes = await queryRows<{ id: string; name: string }>(database.db, sql`select id::text, name from voice_themes`);
        const names = new Set(themes.map((t) => t.name));
        const missing = [...acknowledged].filter((n) => !names.has(n));
        expect(missing, 'acknowledged writes lost after SIGKILL').toEqual([]);
        const events = await queryRows<{ object_id: string }>(database.db, sql`select object_id::text from audit_events where action = 'voice.theme.added'`);
        const eventIds = events.map((e) => e.object_id).sort();
        expect(eventIds, 'each theme has exactly one audit event, and each event its theme').toEqual(themes.map((t) => t.id).sort());
      } finally {
        await database.close();
      }
    }

    // The data opens cleanly under the server again and takes writes.
    const server = await startServer(env);
    cleanup.push(() => server.kill());
    const client = new HttpClient(server.url);
    await client.signIn(coordinator);
    await client.get('/organisations/test-org/voice/themes');
    const after = await client.post('/organisations/test-org/voice/themes', { name: 'Written after the kills' });
    expect(after.status).toBe(303);
    const page = await client.get('/organisations/test-org/voice/themes');
    expect(page.body).toContain('Written after the kills');
    await server.kill('SIGTERM');
  }, hardProfile ? 1_800_000 : 240_000);
});
