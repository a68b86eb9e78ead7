import { sql } from 'drizzle-orm';
import type { Tx } from '../../platform/db/database.ts';
import { financialYearOfSql } from './financial-years.ts';

/**
 * Keeps spend_summary (payments by supplier, financial year and department) in step with payments, inside the caller's
 * transaction, so the dashboards never see one without the other.
 */

const grouped = (where: ReturnType<typeof sql>) => sql`
  select source_id, supplier_id, ${financialYearOfSql(sql`paid_on`)}, department, count(*)::int, sum(amount_pence)
  from payments where ${where} group by 1, 2, 3, 4`;

/** Adds an import's payments to the summary. */
export async function summariseImport(tx: Tx, importId: string): Promise<void> {
  await tx.execute(sql`
    insert into spend_summary (source_id, supplier_id, financial_year, department, payments, amount_pence) ${grouped(sql`import_id = ${importId}`)}
    on conflict (source_id, supplier_id, financial_year, department)
    do update set payments = spend_summary.payments + excluded.payments, amount_pence = spend_summary.amount_pence + excluded.amount_pence`);
}

/** Sums a supplier's payments afresh (after a merge moved payments to it, or away from it). */
export async function resummariseSuppliers(tx: Tx, supplierIds: readonly string[]): Promise<void> {
  if (!supplierIds.length) return;
  const ids = sql.join(supplierIds.map((id) => sql`${id}`), sql`, `);
  await tx.execute(sql`delete from spend_summary where supplier_id in (${ids})`);
  await tx.execute(sql`insert into spend_summary (source_id, supplier_id, financial_year, department, payments, amount_pence) ${grouped(sql`supplier_id in (${ids})`)}`);
}
