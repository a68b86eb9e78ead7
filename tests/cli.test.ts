import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, engines, postgresSkipReason, postgresUrl, type TestDatabase } from './support/engines.ts';

function run(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/patchwork.mjs', ...args], {
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(stdin);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The command line against a real data directory (PGlite) and, when available, PostgreSQL. */
describe('patchwork command line (PGlite data directory)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patchwork-cli-'));
  });

  it('creates an admin from a piped password, refuses a weak one and a duplicate, backs up and restores', async () => {
    const env = { PATCHWORK_DATA_DIR: path.join(dir, 'a') };
    const weak = await run(['admin', 'create', '--email', 'boss@example.org'], env, 'short\n');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('Password must be 12 characters or more');

    const none = await run(['admin', 'create', '--email', 'boss@example.org'], env, '');
    expect(none.stderr).toContain('No password on standard input');

    const ok = await run(['admin', 'create', '--email', 'boss@example.org', '--name', 'Boss'], env, 'a perfectly fine passphrase\n');
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('Created site administrator boss@example.org');

    const again = await run(['admin', 'create', '--email', 'BOSS@example.org'], env, 'a perfectly fine passphrase\n');
    expect(again.stderr).toContain('An account with this email address already exists');

    const backupFile = path.join(dir, 'backup.jsonl.gz');
    const backup = await run(['db', 'backup', '--out', backupFile], env);
    expect(backup.stdout).toMatch(/Backed up \d+ tables \(\d+ rows\) from pglite/);

    const restoreEnv = { PATCHWORK_DATA_DIR: path.join(dir, 'b') };
    const restored = await run(['db', 'restore', '--in', backupFile], restoreEnv);
    expect(restored.stdout).toMatch(/Restored \d+ tables/);
    const twice = await run(['db', 'restore', '--in', backupFile], restoreEnv);
    expect(twice.code).toBe(3);
    expect(twice.stderr).toContain('already holds data');

    const missing = await run(['db', 'restore', '--in', path.join(dir, 'nope.gz')], { PATCHWORK_DATA_DIR: path.join(dir, 'c') });
    expect(missing.stderr).toContain('cannot be read');
    // Seven separate processes, each loading PostGIS into PGlite (~5 s apiece): slow, not stuck.
  }, 240_000);

  it('imports postcodes, refusing a bad file by row and column, and refuses centroids before their LSOAs are known', async () => {
    const env = { PATCHWORK_DATA_DIR: path.join(dir, 'e') };
    const header = 'pcds,dointr,doterm,usertype,lat,long,oa11,lsoa11,msoa11,ward,laua,ccg,imd\n';
    const good = path.join(dir, 'postcodes.csv');
    await writeFile(good, `${header}WN1 1AA,199002,,1,53.546967,-2.635089,E00032310,E01006369,E02001294,E05000861,E08000010,E38000205,1991\nWN1 1AB,199301,200801,1,53.546538,-2.634569,E00032310,E01006369,E02001294,E05000861,E08000010,E38000205,1991\n`);
    const ok = await run(['import', 'postcodes', '--file', good], env);
    expect(ok.stdout).toContain('Imported 2 postcodes from 1 file (2 new, 0 changed, 0 unchanged; 1 terminated, 0 without a grid reference).');
    const bad = path.join(dir, 'bad-postcodes.csv');
    await writeFile(bad, `${header}WN1 1AD,199002,,1,north,-2.6,E00032310,E01006369,E02001294,E05000861,E08000010,E38000205,1991\n`);
    // As the issue writes it: the file as an argument.
    const refused = await run(['import', 'postcodes', bad], env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('row 2, column "lat": "north" is not a latitude');
    const centroids = await run(['import', 'centroids', '--file', 'data/centroids/lsoa11_population_weighted_centroids_england.csv.gz'], env);
    expect(centroids.code).toBe(3);
    expect(centroids.stderr).toContain('no LSOA (2011) areas are loaded yet');
  }, 120_000);

  it('explains bad configuration without a stack trace', async () => {
    const result = await run(['migrate'], { PORT: 'abc', PATCHWORK_DATA_DIR: path.join(dir, 'd') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PORT must be a number');
    expect(result.stderr).not.toMatch(/\s+at /);
  });
});

describe.skipIf(!engines.includes('postgres'))(postgresSkipReason ?? 'patchwork command line (PostgreSQL)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('migrates and creates an admin on PostgreSQL', async () => {
    const url = new URL(postgresUrl!);
    url.pathname = new URL(database.location.replace('***', 'x')).pathname;
    const env = { DATABASE_URL: url.toString() };
    const migrated = await run(['migrate'], env);
    const { expected } = await database.migrationStatus();
    expect(migrated.stdout).toContain(`Database is up to date: ${expected} migrations applied on postgres`);
    const ok = await run(['admin', 'create', '--email', 'pg@example.org'], env, 'a perfectly fine passphrase\n');
    expect(ok.stdout).toContain('Created site administrator pg@example.org');
  });
});
