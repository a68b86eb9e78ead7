import { and, eq, isNull } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { ImportError, Problems, readRows, readUpload } from '../../platform/data/csv.ts';
import { analyze } from '../../platform/db/bulk.ts';
import type { Db } from '../../platform/db/database.ts';
import { placePostcodes, type PlacedPostcode } from '../geography/place-postcode.ts';
import { normalisePostcode } from '../geography/postcodes.ts';
import { suppliers, type SupplierKind } from './schema.ts';
import { looksLikeIndividual, supplierKey } from './supplier-names.ts';
import { detailsProblems } from './suppliers.ts';

/**
 * A supplier list: what the organisation's finance or procurement team knows about its suppliers (kind, postcode,
 * company or charity number), as a CSV or Excel file, one supplier a row. Each row names a supplier as the spend
 * files do; a known one is updated with what the row gives (blank cells change nothing), an unknown one is added,
 * ready for the payments of later files. All or nothing: every bad row is named and nothing changes.
 */

const columns = {
  name: /^(supplier( name)?|name|vendor( name)?|payee( name)?|creditor( name)?)$/i,
  kind: /^(kind|type|supplier (type|kind|category)|category|organisation type)$/i,
  postcode: /^((supplier )?post ?code)$/i,
  companyNumber: /^(company (number|no\.?|registration number)|companies house (number|no\.?)|crn)$/i,
  charityNumber: /^((registered )?charity (number|no\.?))$/i,
} as const;
type Column = keyof typeof columns;

/** The words supplier lists use for a kind. */
const kindWords: [RegExp, SupplierKind][] = [
  [/^(sme|small|medium|small( and| or|\/) ?medium( enterprise| business| firm)?s?|micro)$/i, 'sme'],
  [/^(large|large (firm|business|company|enterprise))$/i, 'large'],
  [/^(vcse|vcs|voluntary|charity|community|social enterprise|voluntary,? community (and|&) social enterprise|third sector)$/i, 'vcse'],
  [/^(public|public (body|sector|authority)|nhs|council|local authority)$/i, 'public'],
  [/^(individual|person|private individual)$/i, 'individual'],
  [/^(unknown|not known)$/i, 'unknown'],
];

export type SupplierListReport = { rows: number; updated: number; added: number; placed: number };

type Row = { row: number; name: string; kind: SupplierKind | null; postcode: string | null; companyNumber: string | null; charityNumber: string | null };

async function readList(file: string, label: string): Promise<Row[]> {
  const problems = new Problems(50);
  const rows: Row[] = [];
  let headings: Partial<Record<Column, string>> | null = null;
  const seen = new Map<string, number>();
  for await (const { row, values } of readRows(file)) {
    if (!headings) {
      headings = {};
      for (const heading of Object.keys(values)) for (const [column, pattern] of Object.entries(columns) as [Column, RegExp][]) if (!headings[column] && pattern.test(heading.trim())) headings[column] = heading;
      if (!headings.name) throw new ImportError(label, [], `${label} has no column of supplier names: head it “Supplier name”. Its headings are ${Object.keys(values).join(', ')}.`);
      if (Object.keys(headings).length < 2) throw new ImportError(label, [], `${label} has only the suppliers’ names: add a column headed Kind, Postcode, Company number or Charity number.`);
    }
    const cell = (column: Column) => (headings![column] ? (values[headings![column]!] ?? '').trim() : '');
    const name = cell('name').replace(/\s+/g, ' ');
    if (!name) {
      problems.add(row, headings.name!, 'The supplier’s name is empty');
      continue;
    }
    // A NUL byte is not text to PostgreSQL: a file holding one is damaged, or not a CSV.
    if (Object.values(values).some((v) => v.includes('\u0000'))) problems.add(row, headings.name!, 'This row holds a NUL character, which is not text: the file may be damaged');
    const key = name.toLowerCase();
    if (seen.has(key)) problems.add(row, headings.name!, `${name} is also on row ${seen.get(key)}: give each supplier once`);
    seen.set(key, row);
    let kind: SupplierKind | null = null;
    if (cell('kind')) {
      kind = kindWords.find(([pattern]) => pattern.test(cell('kind')))?.[1] ?? null;
      if (!kind) problems.add(row, headings.kind!, `“${cell('kind')}” is not a kind of supplier: use SME, large, VCSE, public or individual`);
    }
    let postcode: string | null = null;
    if (cell('postcode')) {
      postcode = normalisePostcode(cell('postcode'));
      if (!postcode) problems.add(row, headings.postcode!, `“${cell('postcode')}” is not a postcode`);
    }
    const companyNumber = cell('companyNumber').replace(/\s+/g, '').toUpperCase() || null;
    const charityNumber = cell('charityNumber').replace(/\s+/g, '') || null;
    for (const p of detailsProblems({ kind: kind ?? 'unknown', postcode, companyNumber, charityNumber })) problems.add(row, headings[p.field as Column]!, p.message);
    rows.push({ row, name, kind, postcode, companyNumber, charityNumber });
  }
  if (!headings) throw new ImportError(label, [], `${label} has no suppliers in it.`);
  problems.throwIfAny(label);
  return rows;
}

/** Imports an uploaded supplier list for the organisation. Throws ImportError (nothing changed) when any row is bad. */
export async function importSupplierList(db: Db, organisationId: string, bytes: Buffer, label: string, actor: Actor): Promise<SupplierListReport> {
  const rows = await readUpload(bytes, label, (file) => readList(file, label));
  return db.transaction(async (tx) => {
    const places = await placePostcodes(tx, rows.flatMap((r) => (r.postcode ? [r.postcode] : [])));
    const problems = new Problems(50);
    for (const r of rows) if (r.postcode && !places.get(r.postcode)?.lad25) problems.add(r.row, 'postcode', `${r.postcode} is not a postcode Patchwork can place (it is not in the postcodes loaded, or has no place)`);
    problems.throwIfAny(label);
    const live = await tx
      .select({ id: suppliers.id, name: suppliers.name })
      .from(suppliers)
      .where(and(eq(suppliers.organisationId, organisationId), isNull(suppliers.mergedIntoId)));
    const byName = new Map<string, string[]>();
    for (const s of live) byName.set(s.name.toLowerCase(), [...(byName.get(s.name.toLowerCase()) ?? []), s.id]);
    for (const r of rows) if ((byName.get(r.name.toLowerCase())?.length ?? 0) > 1) problems.add(r.row, 'name', `${r.name} names ${byName.get(r.name.toLowerCase())!.length} suppliers: merge them first`);
    problems.throwIfAny(label);

    const report: SupplierListReport = { rows: rows.length, updated: 0, added: 0, placed: 0 };
    for (const r of rows) {
      const place: Partial<PlacedPostcode> & { postcode?: string } = r.postcode ? { postcode: places.get(r.postcode)!.display, lsoa21: places.get(r.postcode)!.lsoa21, ward25: places.get(r.postcode)!.ward25, lad25: places.get(r.postcode)!.lad25 } : {};
      if (r.postcode) report.placed++;
      const changes = { ...(r.kind && { kind: r.kind }), ...place, ...(r.companyNumber && { companyNumber: r.companyNumber }), ...(r.charityNumber && { charityNumber: r.charityNumber }) };
      const id = byName.get(r.name.toLowerCase())?.[0];
      if (id) {
        await tx.update(suppliers).set({ ...changes, updatedAt: new Date() }).where(eq(suppliers.id, id));
        report.updated++;
      } else {
        await tx.insert(suppliers).values({ organisationId, name: r.name, nameKey: supplierKey(r.name), kind: looksLikeIndividual(r.name) ? 'individual' : 'unknown', ...changes });
        report.added++;
      }
    }
    await recordAudit(tx, { actor, action: 'community-wealth.suppliers.imported', objectType: 'organisation', objectId: organisationId, details: { file: label.slice(0, 300), ...report } });
    await analyze(tx, 'suppliers');
    return report;
  });
}
