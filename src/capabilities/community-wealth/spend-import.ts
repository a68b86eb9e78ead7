import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { and, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { analyze, copyRows, type Cell } from '../../platform/db/bulk.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { ImportError, Problems, readRows } from '../../platform/data/csv.ts';
import { spendImports, spendSources, supplierAliases, suppliers } from './schema.ts';
import { amountInPence, mappingProblems, paymentDate, spendFieldNames, type SpendMapping } from './spend-columns.ts';
import { summariseImport } from './spend-summary.ts';
import { placePostcodes } from '../geography/place-postcode.ts';
import { normalisePostcode } from '../geography/postcodes.ts';
import { looksLikeIndividual, supplierKey } from './supplier-names.ts';

/**
 * Importing a spend file: every row read and checked first (a file with any bad row changes nothing and names the
 * rows), then one transaction: new suppliers and their published names, the payments copied into a staging table and
 * added where not already there (a line seen in an earlier file, or twice in this one beyond its own repeats, adds
 * nothing), and a record of the import with what it held.
 */

export type SpendImportReport = {
  importId: string;
  rowsRead: number;
  paymentsAdded: number;
  duplicatesSkipped: number;
  creditNotes: number;
  totalPence: number;
  suppliersAdded: number;
  firstPaidOn: string | null;
  lastPaidOn: string | null;
};

const maxText = 500;
/** Rows go to the database in batches, so a million-row file never becomes one enormous string. */
const batchSize = 50_000;

type Line = { paidOn: string; supplier: string; supplierId: string; postcode: string; amount: number; department: string; purpose: string; reference: string; key: string };

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads and checks every row; throws ImportError naming the bad rows, having changed nothing. */
async function readLines(file: string, label: string, mapping: SpendMapping): Promise<Line[]> {
  const problems = new Problems();
  const lines: Line[] = [];
  const seen = new Map<string, number>();
  let checkedHeader = false;
  let total = 0;
  // The file is read from a private temporary path: errors name it as the person knows it.
  const rows = async function* () {
    try {
      yield* readRows(file);
    } catch (error) {
      if (error instanceof ImportError) throw new ImportError(label, error.problems, error.message.split('\n')[0]!.replaceAll(file, label));
      throw error;
    }
  };
  for await (const { row, values } of rows()) {
    if (!checkedHeader) {
      const wrong = mappingProblems(mapping, Object.keys(values));
      if (wrong.length) throw new ImportError(label, [], `${label} does not match this source’s columns: ${wrong.join('; ')}.`);
      checkedHeader = true;
    }
    total++;
    const cell = (field: keyof SpendMapping) => (mapping[field] ? (values[mapping[field]!] ?? '').trim() : '');
    const paidOn = paymentDate(cell('paidOn'));
    const amount = amountInPence(cell('amount'));
    const supplier = cell('supplier').replace(/\s+/g, ' ');
    if (typeof paidOn !== 'string') problems.add(row, mapping.paidOn!, paidOn.error);
    if (typeof amount !== 'number') problems.add(row, mapping.amount!, amount.error);
    if (!supplier) problems.add(row, mapping.supplier!, 'The supplier’s name is empty');
    for (const field of ['supplier', 'department', 'purpose', 'reference', 'supplierId'] as const) {
      if (cell(field).length > maxText) problems.add(row, mapping[field]!, `The ${spendFieldNames[field].toLowerCase()} is longer than ${maxText} characters`);
      // A NUL byte is not text to PostgreSQL: a file holding one is damaged, or not a CSV.
      if (cell(field).includes('\u0000')) problems.add(row, mapping[field]!, `The ${spendFieldNames[field].toLowerCase()} holds a NUL character, which is not text: the file may be damaged`);
    }
    if (problems.list.length || typeof paidOn !== 'string' || typeof amount !== 'number') continue;
    const line = { paidOn, supplier, supplierId: cell('supplierId'), amount, department: cell('department'), purpose: cell('purpose'), reference: cell('reference') };
    // Identical lines in one file are real (two equal invoices on a day); each keeps its own key by its occurrence,
    // and the same lines in a later, overlapping file find the same keys.
    const content = [line.paidOn, line.supplier, line.supplierId, line.amount, line.department, line.purpose, line.reference].join('\u0001');
    const occurrence = (seen.get(content) ?? 0) + 1;
    seen.set(content, occurrence);
    lines.push({ ...line, postcode: cell('supplierPostcode'), key: createHash('sha1').update(`${content}\u0001${occurrence}`).digest('base64url') });
  }
  if (!checkedHeader) throw new ImportError(label, [], `${label} has no payments in it.`);
  if (problems.list.length) throw new ImportError(label, problems.list, `${label} was not imported: ${problems.full ? `at least ${problems.list.length}` : problems.list.length} of its ${total.toLocaleString('en-GB')} rows could not be read.`);
  return lines;
}

/** Existing suppliers for the file's published names, and new ones for the rest (individuals marked as such). */
async function supplierIds(tx: Tx, source: { id: string; organisationId: string }, lines: Line[]): Promise<{ ids: Map<string, string>; added: number }> {
  const published = new Map<string, { name: string; id: string; postcode: string }>();
  for (const l of lines) {
    const key = `${l.supplier}\u0001${l.supplierId}`;
    const seen = published.get(key);
    if (!seen) published.set(key, { name: l.supplier, id: l.supplierId, postcode: l.postcode });
    else if (!seen.postcode && l.postcode) seen.postcode = l.postcode;
  }
  const known = await queryRows<{ published_name: string; published_id: string; supplier_id: string }>(
    tx,
    sql`select a.published_name, a.published_id, coalesce(s.merged_into_id, s.id) as supplier_id
        from supplier_aliases a join suppliers s on s.id = a.supplier_id where a.source_id = ${source.id}`,
  );
  const ids = new Map(known.map((k) => [`${k.published_name}\u0001${k.published_id}`, k.supplier_id]));
  const missing = [...published].filter(([key]) => !ids.has(key));
  for (let i = 0; i < missing.length; i += 1000) {
    const batch = missing.slice(i, i + 1000);
    const made = await tx
      .insert(suppliers)
      .values(batch.map(([, p]) => ({ organisationId: source.organisationId, name: p.name, nameKey: supplierKey(p.name), kind: looksLikeIndividual(p.name) ? ('individual' as const) : ('unknown' as const) })))
      .returning({ id: suppliers.id });
    await tx.insert(supplierAliases).values(batch.map(([, p], j) => ({ sourceId: source.id, supplierId: made[j]!.id, publishedName: p.name, publishedId: p.id })));
    batch.forEach(([key], j) => ids.set(key, made[j]!.id));
    await placeByPostcode(
      tx,
      batch.flatMap(([, p], j) => {
        const postcode = p.postcode ? normalisePostcode(p.postcode) : null;
        return postcode && !looksLikeIndividual(p.name) ? [{ id: made[j]!.id, postcode }] : [];
      }),
    );
  }
  return { ids, added: missing.length };
}

/**
 * New suppliers with a postcode in the file are placed at once (geography/place-postcode.ts, for the whole batch). A
 * postcode not found leaves the supplier unplaced (its spend then counts as "place not known", never as local) for a
 * person to correct.
 */
async function placeByPostcode(tx: Tx, found: { id: string; postcode: string }[]): Promise<void> {
  const places = await placePostcodes(tx, found.map((f) => f.postcode));
  const placed = found.flatMap((f) => (places.has(f.postcode) ? [{ id: f.id, ...places.get(f.postcode)! }] : []));
  if (!placed.length) return;
  const values = sql.join(placed.map((p) => sql`(${p.id}::uuid, ${p.display}, ${p.lsoa21}, ${p.ward25}, ${p.lad25})`), sql`, `);
  await tx.execute(sql`update suppliers s set postcode = v.display, lsoa21 = v.lsoa21, ward25 = v.ward25, lad25 = v.lad25
    from (values ${values}) as v(id, display, lsoa21, ward25, lad25) where s.id = v.id`);
}

/**
 * Imports a spend file (CSV, gzipped CSV or Excel) for a source, with the source's remembered column mapping.
 * Throws ImportError (nothing changed) when any row is bad, the columns don't match, or the same file was imported before.
 */
export async function importSpend(db: Db, sourceId: string, file: string, label: string, actor: Actor): Promise<SpendImportReport> {
  const [source] = await db.select().from(spendSources).where(eq(spendSources.id, sourceId));
  if (!source) throw new Error(`No spend source ${sourceId}`);
  const hash = await sha256Of(file);
  const [before] = await db.select({ at: spendImports.importedAt }).from(spendImports).where(and(eq(spendImports.sourceId, source.id), eq(spendImports.fileSha256, hash)));
  if (before) throw new ImportError(label, [], `${label} was imported already, on ${before.at.toISOString().slice(0, 10)}: nothing has changed.`);
  const lines = await readLines(file, label, source.mapping);

  const report = await db.transaction(async (tx) => {
    const { ids, added: suppliersAdded } = await supplierIds(tx, source, lines);
    const [made] = await tx
      .insert(spendImports)
      .values({ sourceId: source.id, fileName: label.slice(0, 300), fileSha256: hash, rowsRead: lines.length, paymentsAdded: 0, duplicatesSkipped: 0, creditNotes: 0, totalPence: 0, importedBy: actor.userId })
      .returning({ id: spendImports.id });
    const importId = made!.id;
    await tx.execute(sql`create temp table spend_staging (supplier_id uuid, paid_on date, amount_pence bigint, department text, purpose text, reference text, dedupe_key text) on commit drop`);
    for (let i = 0; i < lines.length; i += batchSize) {
      const rows: Cell[][] = lines.slice(i, i + batchSize).map((l) => [ids.get(`${l.supplier}\u0001${l.supplierId}`)!, l.paidOn, l.amount, l.department, l.purpose, l.reference, l.key]);
      await copyRows(tx, 'spend_staging', ['supplier_id', 'paid_on', 'amount_pence', 'department', 'purpose', 'reference', 'dedupe_key'], rows);
    }
    const [totals] = await queryRows<{ added: number; credits: number; total: string | null; first: string | null; last: string | null }>(
      tx,
      sql`with added as (
            insert into payments (source_id, import_id, supplier_id, paid_on, amount_pence, department, purpose, reference, dedupe_key)
            select ${source.id}, ${importId}, supplier_id, paid_on, amount_pence, department, purpose, reference, dedupe_key from spend_staging
            on conflict (source_id, dedupe_key) do nothing
            returning paid_on, amount_pence)
          select count(*)::int as added, (count(*) filter (where amount_pence < 0))::int as credits, sum(amount_pence)::text as total,
            min(paid_on)::text as first, max(paid_on)::text as last from added`,
    );
    const result: SpendImportReport = {
      importId,
      rowsRead: lines.length,
      paymentsAdded: totals!.added,
      duplicatesSkipped: lines.length - totals!.added,
      creditNotes: totals!.credits,
      totalPence: Number(totals!.total ?? 0),
      suppliersAdded,
      firstPaidOn: totals!.first,
      lastPaidOn: totals!.last,
    };
    await tx
      .update(spendImports)
      .set({ paymentsAdded: result.paymentsAdded, duplicatesSkipped: result.duplicatesSkipped, creditNotes: result.creditNotes, totalPence: result.totalPence, firstPaidOn: result.firstPaidOn, lastPaidOn: result.lastPaidOn })
      .where(eq(spendImports.id, importId));
    await summariseImport(tx, importId);
    await recordAudit(tx, { actor, action: 'community-wealth.spend.imported', objectType: 'spend_import', objectId: importId, details: { sourceId: source.id, file: label.slice(0, 300), ...result } });
    return result;
  });
  await db.transaction(async (tx) => {
    await analyze(tx, 'payments');
    await analyze(tx, 'spend_summary');
    await analyze(tx, 'suppliers');
    await analyze(tx, 'supplier_aliases');
  });
  return report;
}
