import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import { openDatabase } from '../../src/platform/db/database.ts';
import { buildAssets } from '../../src/platform/web/assets.ts';
import { resolveTemplatePath, templateDir } from './pglite-template.ts';
import { postgresSkipReason } from './engines.ts';
import { browserSkipReason } from './browser.ts';

export default async function setup(): Promise<void> {
  // Say up front what will not run here, and why (CI requires both, so there it never skips).
  for (const reason of [postgresSkipReason, browserSkipReason]) if (reason) console.warn(`\n⚠ ${reason}\n`);
  // Compile the stylesheet once, before the workers race to.
  await buildAssets('var/cache');
  const file = await resolveTemplatePath();
  try {
    await access(file);
    return;
  } catch {
    // not built for these migrations yet
  }
  const database = await openDatabase({ engine: 'pglite' });
  await database.migrate();
  // dumpDataDir lives on the PGlite client itself, which drizzle exposes as $client.
  const client = (database.db as unknown as { $client: { dumpDataDir(compression: 'none'): Promise<Blob> } }).$client;
  const blob = await client.dumpDataDir('none');
  await database.close();
  await mkdir(templateDir, { recursive: true });
  await writeFile(`${file}.${process.pid}.tmp`, Buffer.from(await blob.arrayBuffer()));
  await rename(`${file}.${process.pid}.tmp`, file);
}
