import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { sql } from 'drizzle-orm';
import type { Tx } from './database.ts';

/** A cell of a bulk load: numbers, text, null, or an array of numbers (written as a PostgreSQL array literal). */
export type Cell = string | number | null | undefined | readonly (number | null)[];

type PgliteClient = { query(sql: string, params: unknown[], options: { blob: Blob }): Promise<unknown> };

/**
 * Loads rows into a table with COPY, inside the caller's transaction, on either engine. A national file
 * is hundreds of thousands of rows: sent as one CSV stream they cost about half what the same rows cost as
 * parameter arrays, most of all on the embedded engine, where every parameter is serialised in JavaScript.
 *
 * `table` and `columns` are identifiers from our own code, never from input.
 */
export async function copyRows(tx: Tx, table: string, columns: readonly string[], rows: Iterable<readonly Cell[]>): Promise<number> {
  const chunks: string[] = [];
  let count = 0;
  for (const row of rows) {
    chunks.push(row.map(csvCell).join(','));
    count++;
  }
  if (!count) return 0;
  const text = `${chunks.join('\n')}\n`;
  const statement = `copy ${table} (${columns.join(', ')}) from %SOURCE% with (format csv)`;
  const client = sessionClient(tx);
  if (isPglite(client)) {
    await client.query(statement.replace('%SOURCE%', "'/dev/blob'"), [], { blob: new Blob([text]) });
  } else {
    await pipeline(Readable.from([text]), (client as PoolClient).query(copyFrom(statement.replace('%SOURCE%', 'stdin'))));
  }
  return count;
}

/**
 * A whole CSV file (with a heading row) into a table by COPY, as it is: the least any import of that file can take,
 * which the benchmarks compare importers with.
 */
export async function copyCsvFile(tx: Tx, table: string, file: string): Promise<void> {
  const client = sessionClient(tx);
  if (!isPglite(client)) {
    await pipeline(createReadStream(file), (client as PoolClient).query(copyFrom(`copy ${table} from stdin with (format csv, header true)`)));
    return;
  }
  // PGlite takes a COPY's data as one blob in its memory, and one of a hundred megabytes takes minutes: so a few
  // megabytes at a time, cut at line ends (the files this is for have no line breaks inside quoted cells).
  const text = await readFile(file, 'utf8');
  let start = text.indexOf('\n') + 1;
  while (start > 0 && start < text.length) {
    const cut = text.indexOf('\n', start + 4 * 2 ** 20);
    const end = cut < 0 ? text.length : cut + 1;
    await client.query(`copy ${table} from '/dev/blob' with (format csv)`, [], { blob: new Blob([text.slice(start, end)]) });
    start = end;
  }
}

function csvCell(cell: Cell): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') {
    if (Number.isNaN(cell)) throw new Error('copyRows: NaN is not a value Patchwork stores');
    return String(cell);
  }
  if (Array.isArray(cell)) return `"{${cell.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}"`;
  return `"${(cell as string).replaceAll('"', '""')}"`;
}

/**
 * The driver connection under a drizzle transaction. COPY needs the connection itself, and must run in
 * the transaction so an import stays all-or-nothing; outside one there is no single connection to use.
 */
function sessionClient(tx: Tx): unknown {
  const session = (tx as unknown as { session?: { client?: unknown } }).session;
  const client = session?.client;
  const isTransaction = (tx as unknown as { constructor: { name: string } }).constructor.name.endsWith('Transaction');
  if (!client || !isTransaction) throw new Error('copyRows must be called inside a transaction');
  return client;
}

function isPglite(client: unknown): client is PgliteClient {
  // A PGlite transaction has no `connect`, and a pg PoolClient always does.
  return typeof (client as { connect?: unknown }).connect !== 'function';
}

/**
 * Refreshes the planner's statistics after a bulk load. The embedded engine has no autovacuum, and on
 * PostgreSQL it runs later: without this, the first queries after an import plan joins against tables
 * the planner believes empty — minutes instead of milliseconds for a national join.
 */
export async function analyze(tx: Tx, ...tables: string[]): Promise<void> {
  for (const table of tables) await tx.execute(sql.raw(`analyze ${table}`));
}
