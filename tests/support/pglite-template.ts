import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { migrationsFolder } from '../../src/platform/db/database.ts';

/**
 * Starting PGlite with PostGIS and migrating it takes ~10 s; loading a migrated copy takes ~4 s. The
 * global setup makes that copy once per set of migrations, and every test file starts from it.
 */
async function migrationsHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of (await readdir(migrationsFolder)).sort()) {
    if (file.endsWith('.sql')) hash.update(file).update(await readFile(path.join(migrationsFolder, file)));
  }
  hash.update(await readFile(path.join(migrationsFolder, 'meta/_journal.json')));
  return hash.digest('hex').slice(0, 16);
}

export const templateDir = path.resolve('var/test');

export async function resolveTemplatePath(): Promise<string> {
  return path.join(templateDir, `pglite-template-${await migrationsHash()}.tar`);
}
