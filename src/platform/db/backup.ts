import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../audit/audit.ts';
import { queryRows, type Database, type Tx } from './database.ts';
import { referencesKeptByTriggers } from './schema.ts';

/**
 * A Patchwork backup is a gzipped stream of JSON lines: a header naming the migrations the data was
 * made under, then for each table its columns and its rows (every value as PostgreSQL's own text form,
 * which both engines read back exactly: geometry as hex EWKB, timestamps with zone, jsonb as text),
 * then an end marker with the row counts, so a truncated file is refused rather than half-restored.
 */
export const backupFormat = 'patchwork-backup';
export const backupVersion = 1;

type Column = { name: string; type: string; identity: boolean };
type Header = { format: string; version: number; createdAt: string; engine: string; migrations: string[] };
type TableLine = { table: string; columns: Column[] };
type RowsLine = { rows: (string | null)[][] };
type EndLine = { end: true; counts: Record<string, number> };

export class BackupError extends Error {
  override name = 'BackupError';
}

const ident = (name: string) => sql.identifier(name);

const rows = queryRows;

/** Patchwork's tables in an order where every table comes after the tables it references. */
export async function tablesInDependencyOrder(tx: Tx): Promise<string[]> {
  const tables = (
    await rows<{ name: string }>(
      tx,
      sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname <> 'spatial_ref_sys'
          order by c.relname`,
    )
  ).map((t) => t.name);
  const edges = await rows<{ child: string; parent: string }>(
    tx,
    sql`select cc.relname as child, pc.relname as parent from pg_constraint k
        join pg_class cc on cc.oid = k.conrelid join pg_class pc on pc.oid = k.confrelid
        join pg_namespace n on n.oid = cc.relnamespace
        where k.contype = 'f' and n.nspname = 'public' and k.conrelid <> k.confrelid`,
  );
  edges.push(...referencesKeptByTriggers);
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (ordered.includes(table) || visiting.has(table)) return;
    visiting.add(table);
    for (const edge of edges) if (edge.child === table) visit(edge.parent);
    ordered.push(table);
  };
  tables.forEach(visit);
  return ordered;
}

async function columnsOf(tx: Tx, table: string): Promise<Column[]> {
  const cols = await rows<{ name: string; type: string; identity: string; generated: string }>(
    tx,
    sql`select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
               a.attidentity as identity, a.attgenerated as generated
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relname = ${table} and a.attnum > 0 and not a.attisdropped
        order by a.attnum`,
  );
  // Generated columns are recomputed by the database on insert, so they are not carried.
  return cols.filter((c) => c.generated === '').map((c) => ({ name: c.name, type: c.type, identity: c.identity !== '' }));
}

async function appliedMigrations(tx: Tx): Promise<string[]> {
  return (await rows<{ hash: string }>(tx, sql`select hash from drizzle.__drizzle_migrations order by id`)).map((r) => r.hash);
}

/**
 * Writes a consistent snapshot (one repeatable-read transaction) of every Patchwork table to `file`.
 * The file appears only when complete: it is written beside and renamed into place.
 */
export async function backupDatabase(database: Database, file: string): Promise<Record<string, number>> {
  const temp = `${file}.partial`;
  const gzip = createGzip();
  const done = pipeline(gzip, createWriteStream(temp));
  const write = async (line: unknown) => {
    if (!gzip.write(`${JSON.stringify(line)}\n`)) await once(gzip, 'drain');
  };
  const counts: Record<string, number> = {};
  try {
    await database.db.transaction(
      async (tx) => {
        const header: Header = {
          format: backupFormat,
          version: backupVersion,
          createdAt: new Date().toISOString(),
          engine: database.engine,
          migrations: await appliedMigrations(tx),
        };
        await write(header);
        for (const table of await tablesInDependencyOrder(tx)) {
          const columns = await columnsOf(tx, table);
          await write({ table, columns } satisfies TableLine);
          const select = sql.join(columns.map((c) => sql`${ident(c.name)}::text`), sql`, `);
          // A cursor keeps memory flat however large the table.
          await tx.execute(sql`declare backup_cursor no scroll cursor for select ${select} from ${ident(table)}`);
          counts[table] = 0;
          for (;;) {
            const batch = await rows<Record<string, string | null>>(tx, sql`fetch 2000 from backup_cursor`);
            if (batch.length === 0) break;
            const values = batch.map((row) => columns.map((c) => row[c.name] ?? null));
            counts[table] += values.length;
            await write({ rows: values } satisfies RowsLine);
          }
          await tx.execute(sql`close backup_cursor`);
        }
        await write({ end: true, counts } satisfies EndLine);
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
    gzip.end();
    await done;
    await rename(temp, file);
    return counts;
  } catch (error) {
    gzip.destroy();
    await done.catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
}

async function* readLines(file: string): AsyncGenerator<unknown> {
  const raw = createReadStream(file);
  const input = createGunzip();
  // pipe() does not pass errors on: without this a missing file would crash instead of being reported.
  raw.on('error', (error) => input.destroy(error));
  raw.pipe(input);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line === '') continue;
      try {
        yield JSON.parse(line);
      } catch {
        throw new BackupError(`Line ${n} of the backup is not valid JSON: the file is damaged`);
      }
    }
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`The backup file cannot be read (${(error as Error).message}): it is not a Patchwork backup or it is damaged`);
  }
}

/**
 * Rows that migrations put into a new database (the shipped directory categories): a database holding only
 * these is still empty for a restore.
 */
const migrationSeeded: Record<string, string> = { directory_taxonomy_terms: 'owner_organisation_id is null' };

/**
 * Restores a backup into an empty, fully migrated database, in one transaction: either every row
 * arrives or nothing changes. Refuses a backup made under different migrations, and a database that
 * already holds data (restoring over live records would silently mix two histories).
 */
export async function restoreDatabase(database: Database, file: string, actor: Actor): Promise<Record<string, number>> {
  const lines = readLines(file);
  const first = await lines.next();
  const header = first.value as Header | undefined;
  if (first.done || header?.format !== backupFormat) throw new BackupError('This file is not a Patchwork backup');
  if (header.version !== backupVersion) throw new BackupError(`This backup uses format version ${header.version}; this Patchwork reads version ${backupVersion}`);

  return database.db.transaction(async (tx) => {
    const migrations = await appliedMigrations(tx);
    if (migrations.join() !== header.migrations.join()) {
      throw new BackupError(
        `The backup was made with ${header.migrations.length} migrations applied and this database has ${migrations.length}` +
          (migrations.length === header.migrations.length ? ' different ones' : '') +
          ': restore it with the version of Patchwork that made it.',
      );
    }
    const tables = await tablesInDependencyOrder(tx);
    const nonEmpty: string[] = [];
    for (const table of tables) {
      const seeded = migrationSeeded[table];
      const [row] = await rows<{ any: boolean }>(tx, sql`select exists (select 1 from ${ident(table)}${seeded ? sql` where not (${sql.raw(seeded)})` : sql``}) as any`);
      if (row?.any) nonEmpty.push(table);
    }
    if (nonEmpty.length) {
      throw new BackupError(`The database already holds data (in ${nonEmpty.join(', ')}). Restore only into a new, empty database.`);
    }
    // The backup, made under the same migrations, carries the rows they seed, as they were when it was made.
    for (const [table, seeded] of Object.entries(migrationSeeded)) await tx.execute(sql`delete from ${ident(table)} where ${sql.raw(seeded)}`);

    const counts: Record<string, number> = {};
    let current: { table: string; columns: Column[] } | null = null;
    let ended: EndLine | null = null;
    for await (const value of lines) {
      const line = value as Partial<TableLine & RowsLine & EndLine>;
      if (ended) throw new BackupError('The backup has data after its end marker: the file is damaged');
      if (line.table !== undefined) {
        if (!tables.includes(line.table)) throw new BackupError(`The backup has a table "${line.table}" that this database does not`);
        const existing = new Map((await columnsOf(tx, line.table)).map((c) => [c.name, c]));
        for (const c of line.columns ?? []) {
          if (existing.get(c.name)?.type !== c.type) throw new BackupError(`Column ${line.table}.${c.name} (${c.type}) does not match this database`);
        }
        current = { table: line.table, columns: line.columns ?? [] };
        counts[line.table] = 0;
      } else if (line.rows !== undefined) {
        if (!current) throw new BackupError('The backup has rows before any table: the file is damaged');
        await insertRows(tx, current.table, current.columns, line.rows);
        counts[current.table]! += line.rows.length;
      } else if (line.end) {
        ended = line as EndLine;
      } else {
        throw new BackupError('The backup has a line Patchwork does not understand: the file is damaged');
      }
    }
    if (!ended) throw new BackupError('The backup has no end marker: the file is incomplete (was the backup interrupted?)');
    for (const [table, n] of Object.entries(ended.counts)) {
      if ((counts[table] ?? 0) !== n) throw new BackupError(`The backup says ${table} has ${n} rows but ${counts[table] ?? 0} were found: the file is damaged`);
    }
    await resetIdentitySequences(tx, tables);
    await recordAudit(tx, {
      actor,
      action: 'database.restored',
      objectType: 'database',
      details: { from: header.engine, backupCreatedAt: header.createdAt, rows: counts },
    });
    return counts;
  });
}

async function insertRows(tx: Tx, table: string, columns: Column[], values: (string | null)[][]): Promise<void> {
  // PostgreSQL allows 65,535 parameters in a statement; stay well under.
  const perStatement = Math.max(1, Math.floor(30000 / Math.max(1, columns.length)));
  const names = sql.join(columns.map((c) => ident(c.name)), sql`, `);
  for (let i = 0; i < values.length; i += perStatement) {
    const tuples = values.slice(i, i + perStatement).map((row) => {
      if (row.length !== columns.length) throw new BackupError(`A row of ${table} has ${row.length} values for ${columns.length} columns: the file is damaged`);
      return sql`(${sql.join(row.map((v, j) => sql`${v}::${sql.raw(columns[j]!.type)}`), sql`, `)})`;
    });
    await tx.execute(sql`insert into ${ident(table)} (${names}) overriding system value values ${sql.join(tuples, sql`, `)}`);
  }
}

async function resetIdentitySequences(tx: Tx, tables: string[]): Promise<void> {
  for (const table of tables) {
    for (const column of (await columnsOf(tx, table)).filter((c) => c.identity)) {
      await tx.execute(
        sql`select setval(pg_get_serial_sequence(${`"${table}"`}, ${column.name}), coalesce(max(${ident(column.name)}), 1), max(${ident(column.name)}) is not null) from ${ident(table)}`,
      );
    }
  }
}
