import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { personDataKey, seal } from './people.ts';
import { supportConversations, supportGoals } from './schema.ts';
import { samplePerson, secretEmail, secretName, secretPhone, seedSupportTeams } from './testing.ts';

/**
 * What someone with only the database's files (a stolen disk, a copied backup) sees: the team's name, yes; the
 * person's name, contact details, conversation notes and goals, no.
 */

const secretNote = 'Quibbling about the marmalade kettle';
const secretGoal = 'Learn the xylophone by midsummer';
const control = 'North Local Area Coordination';

/** Every byte PGlite keeps: its data directory as a tar, after a checkpoint has written the pages out. */
async function pgliteDump(db: Db): Promise<string> {
  const client = (db as unknown as { $client: { query(q: string): Promise<unknown>; dumpDataDir(compression: 'none'): Promise<Blob> } }).$client;
  await client.query('CHECKPOINT');
  const blob = await client.dumpDataDir('none');
  return Buffer.from(await blob.arrayBuffer()).toString('latin1');
}

/** pg_dump of the test database; when pg_dump cannot be used, every row of every table as text. */
async function postgresDump(db: Db): Promise<string> {
  const url = (db as unknown as { $client: { options: { connectionString: string } } }).$client.options.connectionString;
  try {
    const { stdout } = await promisify(execFile)('pg_dump', ['--data-only', '--no-owner', url], { maxBuffer: 512 * 1024 * 1024, encoding: 'latin1' });
    if (stdout.includes(control)) return stdout;
  } catch {
    // Falls through to reading the tables.
  }
  const tables = await queryRows<{ name: string }>(db, sql`select quote_ident(table_schema) || '.' || quote_ident(table_name) as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
  const parts: string[] = [];
  for (const t of tables) {
    const rows = await queryRows<{ row: string }>(db, sql.raw(`select t::text as row from ${t.name} t`));
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

describe.each(engines)('a raw dump of the database on %s', (engine) => {
  const h = useSeededApp(engine);
  let dump: string;

  beforeAll(async () => {
    const f = await seedSupportTeams(h.database, h.seed);
    const db = h.database.db;
    const personId = await samplePerson(db, h.app.keyring, f.northTeamId, f.userIds.coordinator);
    const key = (await personDataKey(db, h.app.keyring, personId))!;
    const [conversationId, goalId] = [randomUUID(), randomUUID()];
    await db.insert(supportConversations).values({ id: conversationId, personId, heldOn: '2026-09-03', noteEnc: key.encrypt(secretNote, seal('support_conversations', conversationId, 'note')) });
    await db.insert(supportGoals).values({ id: goalId, personId, setOn: '2026-09-03', goalEnc: key.encrypt(secretGoal, seal('support_goals', goalId, 'goal')) });
    dump = engine === 'pglite' ? await pgliteDump(db) : await postgresDump(db);
  });

  it('shows plain text that is stored as plain text (so the method can see it)', () => {
    expect(dump.includes(control)).toBe(true);
  });

  it('holds none of the person’s name, contact details, notes or goals', () => {
    for (const secret of [secretName, secretEmail, secretPhone, secretNote, secretGoal, 'Pemberton Surgery', 'Sample Street', 'Quillfeather', 'xylophone']) {
      expect([secret, dump.toLowerCase().includes(secret.toLowerCase())]).toEqual([secret, false]);
    }
  });
});
