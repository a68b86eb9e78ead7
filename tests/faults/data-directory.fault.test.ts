import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, HttpClient, coordinator, openAt, preparePglite, runPatchwork, startServer } from './harness.ts';

/**
 * The embedded engine on a full disk and on a read-only mount: `serve` and `migrate` stop at once with a message
 * naming the directory and the problem (no stack trace), and once there is room again / the mount is writable the
 * data is intact and Patchwork serves. Needs root (to mount a small tmpfs); skipped with the reason otherwise.
 */
const run = promisify(execFile);
const mountSkip = process.getuid?.() === 0 ? null : 'not root: cannot mount a small tmpfs for the disk-full and read-only tests';
const stackTrace = /^\s+at .+\(.+:\d+:\d+\)$|node:internal|\.ts:\d+:\d+/m;

describe.skipIf(mountSkip !== null)('embedded data directory on a full or read-only disk', () => {
  let root = '';
  let mount = '';
  let mounted = false;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'patchwork-fault-disk-'));
    mount = path.join(root, 'disk');
    await mkdir(mount);
    // Room for the seeded database (about 70 MB) and a little more, which the test then fills.
    await run('mount', ['-t', 'tmpfs', '-o', 'size=160m', 'tmpfs', mount]);
    mounted = true;
    await preparePglite(path.join(mount, 'data'));
  }, 240_000);
  afterAll(async () => {
    // Always undo the mount, whatever happened above: a left-over mount outlives the test run.
    if (mounted) await run('umount', ['-l', mount]).catch(() => {});
    await rm(root, { recursive: true, force: true });
  }, 60_000);

  const env = () => ({ PATCHWORK_DATA_DIR: path.join(mount, 'data') });
  const dataDir = () => path.join(mount, 'data', 'pglite');
  const intact = async () => {
    const database = await openAt('pglite', path.join(mount, 'data'));
    try {
      expect(await count(database, sql`select count(*)::int as n from users`)).toBe(6);
      const { applied, expected } = await database.migrationStatus();
      expect(applied).toBe(expected);
    } finally {
      await database.close();
    }
  };

  it('refuses to start on a full disk, saying so, and is intact once there is room', async () => {
    const filler = path.join(mount, 'filler');
    // Fill every last block: dd stops with "No space left on device", which is the point.
    await run('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M']).catch(() => {});
    await writeFile(path.join(mount, 'filler-tail'), Buffer.alloc(4096)).catch(() => {});
    for (const command of [['serve'], ['migrate']]) {
      const result = await runPatchwork(command, { ...env(), PORT: '0' });
      expect(result.code, result.output).toBe(2);
      expect(result.output).toContain(`patchwork: The embedded database directory ${dataDir()} is on a disk that is full`);
      expect(result.output).not.toMatch(stackTrace);
    }
    await rm(filler);
    await rm(path.join(mount, 'filler-tail'), { force: true });
    await intact();
  }, 240_000);

  it('refuses to start on a read-only mount, saying so, and serves once it is writable', async () => {
    await run('mount', ['-o', 'remount,ro', mount]);
    try {
      for (const command of [['serve'], ['migrate']]) {
        const result = await runPatchwork(command, { ...env(), PORT: '0' });
        expect(result.code, result.output).toBe(2);
        expect(result.output).toContain(`patchwork: The embedded database directory ${dataDir()} is on a read-only file system`);
        expect(result.output).not.toMatch(stackTrace);
      }
    } finally {
      await run('mount', ['-o', 'remount,rw', mount]);
    }
    await intact();
    const server = await startServer(env());
    try {
      const client = new HttpClient(server.url);
      await client.signIn(coordinator);
      expect((await client.get('/account')).status).toBe(200);
    } finally {
      await server.kill('SIGTERM');
    }
  }, 240_000);
});
