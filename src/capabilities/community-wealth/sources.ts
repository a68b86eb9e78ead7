import { and, eq, lt, sql } from 'drizzle-orm';
import { uploadedFileName } from '../../platform/web/forms.ts';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { ImportError, readRows, readUpload } from '../../platform/data/csv.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { longDate } from '../../platform/web/dates.ts';
import { formProblems, text, type Form, type FormErrors } from '../../platform/web/forms.ts';
import { spendSources, spendUploads } from './schema.ts';
import { guessMapping, mappingProblems, requiredSpendFields, spendFieldNames, spendFields, type SpendMapping } from './spend-columns.ts';
import { importSpend, type SpendImportReport } from './spend-import.ts';
import { looksLikeIndividual, withheldName } from './supplier-names.ts';
import { isUuid } from './web.ts';

/**
 * Spend files as the pages see them: an organisation's sources, a file held while a person checks its columns, and
 * the import that follows. Every look-up is within the organisation, so an id from elsewhere finds nothing.
 */


export type SourceRow = { id: string; name: string; homeLad25: string | null; district: string | null; sample: boolean; imports: number; payments: number; latest: string | null };

export async function sourcesOf(db: Db, organisationId: string): Promise<SourceRow[]> {
  return queryRows<SourceRow>(
    db,
    sql`select s.id, s.name, s.home_lad25 as "homeLad25", d.name as district, s.sample,
          (select count(*)::int from spend_imports i where i.source_id = s.id) as imports,
          (select count(*)::int from payments p where p.source_id = s.id) as payments,
          (select max(i.last_paid_on)::text from spend_imports i where i.source_id = s.id) as latest
        from spend_sources s left join areas d on d.vintage = 'lad25' and d.code = s.home_lad25
        where s.organisation_id = ${organisationId} order by s.name, s.created_at`,
  );
}

export type ImportRow = {
  id: string;
  sourceId: string;
  sourceName: string;
  fileName: string;
  rowsRead: number;
  paymentsAdded: number;
  duplicatesSkipped: number;
  creditNotes: number;
  totalPence: number;
  firstPaidOn: string | null;
  lastPaidOn: string | null;
  importedBy: string | null;
  importedAt: Date;
};

const importColumns = sql`i.id, i.source_id as "sourceId", s.name as "sourceName", i.file_name as "fileName", i.rows_read as "rowsRead",
  i.payments_added as "paymentsAdded", i.duplicates_skipped as "duplicatesSkipped", i.credit_notes as "creditNotes",
  i.total_pence::text as "totalPence", i.first_paid_on::text as "firstPaidOn", i.last_paid_on::text as "lastPaidOn",
  u.name as "importedBy", i.imported_at as "importedAt"`;

// Totals come back as text (bigint) and times as text on one engine and Date on the other: made alike here.
const importRow = (r: ImportRow): ImportRow => ({ ...r, totalPence: Number(r.totalPence), importedAt: new Date(r.importedAt) });

/** The organisation's latest imports, of every source or one. */
export async function importsOf(db: Db, organisationId: string, { sourceId, limit = 10 }: { sourceId?: string; limit?: number } = {}): Promise<ImportRow[]> {
  const rows = await queryRows<ImportRow>(
    db,
    sql`select ${importColumns} from spend_imports i join spend_sources s on s.id = i.source_id left join users u on u.id = i.imported_by
        where s.organisation_id = ${organisationId} ${sourceId ? sql`and s.id = ${sourceId}` : sql``}
        order by i.imported_at desc limit ${limit}`,
  );
  return rows.map(importRow);
}

export async function importOf(db: Db, organisationId: string, sourceId: string, importId: string): Promise<(ImportRow & { suppliersAdded: number | null }) | null> {
  if (!isUuid(sourceId) || !isUuid(importId)) return null;
  const [row] = await queryRows<ImportRow>(
    db,
    sql`select ${importColumns} from spend_imports i join spend_sources s on s.id = i.source_id left join users u on u.id = i.imported_by
        where s.organisation_id = ${organisationId} and s.id = ${sourceId} and i.id = ${importId}`,
  );
  if (!row) return null;
  // The import's own record holds how many suppliers it added; the import table does not.
  const [audit] = await queryRows<{ added: number | null }>(
    db,
    sql`select (details->>'suppliersAdded')::int as added from audit_events where action = 'community-wealth.spend.imported' and object_id = ${importId} limit 1`,
  );
  return { ...importRow(row), suppliersAdded: audit?.added ?? null };
}

export type Source = typeof spendSources.$inferSelect;

export async function sourceOf(db: Db, organisationId: string, sourceId: string): Promise<Source | null> {
  if (!isUuid(sourceId)) return null;
  const [source] = await db.select().from(spendSources).where(and(eq(spendSources.id, sourceId), eq(spendSources.organisationId, organisationId)));
  return source ?? null;
}

export type District = { code: string; name: string };

export const districts = (db: Db) => queryRows<District>(db, sql`select code, name from areas where vintage = 'lad25' order by name, code`);

export async function districtName(db: Db, code: string | null): Promise<string | null> {
  if (!code) return null;
  const [row] = await queryRows<{ name: string }>(db, sql`select name from areas where vintage = 'lad25' and code = ${code}`);
  return row?.name ?? code;
}

export type SourceInput = { name: string; homeLad25: string | null; sample: boolean };

/** The source form, checked: a name, and a home district from the list (or none). */
export function readSourceForm(form: Form, known: readonly District[]): { ok: true; input: SourceInput } | { ok: false; errors: FormErrors } {
  const { errors, fail } = formProblems();
  const name = text(form, 'name').trim();
  const homeLad25 = text(form, 'homeLad25').trim();
  if (!name) fail('name', 'Enter a name for the source, such as the council whose payments it holds');
  else if (name.length > 200) fail('name', 'The name must be 200 characters or fewer');
  if (homeLad25 && !known.some((d) => d.code === homeLad25)) fail('homeLad25', 'Choose the home district from the list');
  if (errors.summary.length) return { ok: false, errors };
  return { ok: true, input: { name, homeLad25: homeLad25 || null, sample: text(form, 'sample') === 'yes' } };
}

export async function createSource(db: Db, organisationId: string, input: SourceInput, actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(spendSources).values({ organisationId, ...input }).returning({ id: spendSources.id });
    await recordAudit(tx, { actor, action: 'community-wealth.source.created', objectType: 'spend_source', objectId: row!.id, organisationId, details: { ...input } });
    return row!.id;
  });
}

export async function updateSource(db: Db, organisationId: string, sourceId: string, input: Omit<SourceInput, 'sample'>, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(spendSources)
      .set({ ...input, updatedAt: new Date() })
      .where(and(eq(spendSources.id, sourceId), eq(spendSources.organisationId, organisationId)));
    await recordAudit(tx, { actor, action: 'community-wealth.source.updated', objectType: 'spend_source', objectId: sourceId, organisationId, details: { ...input } });
  });
}

/**
 * Keeps an uploaded file until its columns are checked. This source's uploads older than a day are removed first:
 * files abandoned at the check page should not stay in the database.
 */
export async function storeUpload(db: Db, source: Source, bytes: Buffer, fileName: string, actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.delete(spendUploads).where(and(eq(spendUploads.sourceId, source.id), lt(spendUploads.uploadedAt, new Date(Date.now() - 86_400_000))));
    const [row] = await tx.insert(spendUploads).values({ sourceId: source.id, fileName, bytes, uploadedBy: actor.userId }).returning({ id: spendUploads.id });
    await recordAudit(tx, { actor, action: 'community-wealth.upload.stored', objectType: 'spend_upload', objectId: row!.id, organisationId: source.organisationId, details: { sourceId: source.id, file: fileName, bytes: bytes.length } });
    return row!.id;
  });
}

export type Upload = typeof spendUploads.$inferSelect;

export async function uploadOf(db: Db, source: Source, uploadId: string): Promise<Upload | null> {
  if (!isUuid(uploadId)) return null;
  const [upload] = await db.select().from(spendUploads).where(and(eq(spendUploads.id, uploadId), eq(spendUploads.sourceId, source.id)));
  return upload ?? null;
}

/** A name for a file, since the upload does not carry the one it had: what it is and the day it came. */
export function uploadFileName(bytes: Buffer, today: string): string {
  return uploadedFileName(bytes) ?? `spend-${today}.${bytes[0] === 0x50 && bytes[1] === 0x4b ? 'xlsx' : 'csv'}`;
}

export type Preview = { headers: string[]; rows: string[][]; more: boolean };

/** Column headings that may hold a supplier's name, whose cells are checked for a person's name before showing. */
const nameHeading = /supplier|vendor|payee|beneficiar|creditor|merchant|recipient|name/i;

/**
 * The file's headings and first rows, for a person to see which column is which. A cell in a column that could
 * hold a supplier's name (by its heading, or as mapped) is withheld when it looks like a person's name.
 */
export async function previewUpload(upload: Pick<Upload, 'bytes' | 'fileName'>, supplierColumn: string | undefined, size = 5): Promise<Preview> {
  return readUpload(upload.bytes, upload.fileName, async (saved) => {
    const preview: Preview = { headers: [], rows: [], more: false };
    for await (const { values } of readRows(saved)) {
      if (!preview.headers.length) preview.headers = Object.keys(values);
      if (preview.rows.length === size) {
        preview.more = true;
        break;
      }
      preview.rows.push(preview.headers.map((h) => values[h] ?? ''));
    }
    return preview;
  }).then((p) => ({
    ...p,
    rows: p.rows.map((r) => r.map((cell, i) => ((p.headers[i] === supplierColumn || nameHeading.test(p.headers[i]!)) && looksLikeIndividual(cell) ? withheldName : cell))),
  }));
}

/** The mapping to offer for a file: the source's remembered one when it fits the file, else a guess from its headings. */
export function offeredMapping(source: Source, headers: readonly string[]): SpendMapping {
  return Object.keys(source.mapping).length && !mappingProblems(source.mapping, headers).length ? source.mapping : guessMapping(headers);
}

/** The column choices posted from the check page, with a message against each field that is wrong. */
export function readMappingForm(form: Form, headers: readonly string[]): { mapping: SpendMapping; errors: FormErrors | null } {
  const { errors, fail } = formProblems();
  const mapping: SpendMapping = {};
  const chosenBy = new Map<string, string>();
  for (const field of spendFields) {
    const column = text(form, field);
    const label = spendFieldNames[field].toLowerCase();
    if (!column) {
      if (requiredSpendFields.includes(field)) fail(field, `Choose the column that holds the ${label}`);
      continue;
    }
    if (!headers.includes(column)) {
      fail(field, `Choose a column of this file for the ${label}`);
      continue;
    }
    const earlier = chosenBy.get(column);
    if (earlier) fail(field, `The column “${column}” is chosen for the ${earlier} too: choose it for one of them`);
    else chosenBy.set(column, label);
    mapping[field] = column;
  }
  // The import's own check, in case a rule is added there that the messages above do not know.
  if (!errors.summary.length) for (const problem of mappingProblems(mapping, headers)) fail('paidOn', problem);
  return { mapping, errors: errors.summary.length ? errors : null };
}

/**
 * Imports a held file with the mapping a person chose. The mapping is saved on the source in the same transaction
 * as the import, so a file that fails leaves the source's remembered mapping as it was, and the upload kept for
 * another try; a file that succeeds removes the upload. Throws ImportError, having changed nothing.
 */
export async function importUpload(db: Db, source: Source, upload: Upload, mapping: SpendMapping, actor: Actor): Promise<SpendImportReport> {
  return db.transaction(async (tx) => {
    await tx.update(spendSources).set({ mapping, updatedAt: new Date() }).where(eq(spendSources.id, source.id));
    const report = await readUpload(upload.bytes, upload.fileName, (saved) => importSpend(tx, source.id, saved, upload.fileName, actor));
    await tx.delete(spendUploads).where(eq(spendUploads.id, upload.id));
    return report;
  });
}

/** An import's problems as lines for an error summary: the first 20, and how many there were. */
export function problemLines(error: ImportError, limit = 20): { headline: string; lines: string[] } {
  const count = error.problems.length;
  const lines = error.problems.slice(0, limit).map((p) => `${p.row ? `Row ${p.row}` : 'The file'}${p.column ? `, column “${p.column}”` : ''}: ${p.message}`);
  const headline = count
    ? `The file was not imported: ${count === 1 ? 'one row has a problem' : `${count >= 100 ? 'at least 100' : count} rows have problems`}${count > limit ? ` (the first ${limit} are listed)` : ''}. Nothing has been imported.`
    : `${error.message.split('\n')[0]!.replace(error.file, 'This file').replace(/Nothing has changed\.?$/, '').trim()} Nothing has been imported.`
        .replace(/: nothing has changed\./, '.')
        .replace(/\b(\d{4}-\d\d-\d\d)\b/g, (iso) => longDate(iso));
  return { headline, lines };
}

