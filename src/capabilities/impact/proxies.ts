import { sql } from 'drizzle-orm';
import { queryRows, type Tx } from '../../platform/db/database.ts';

/**
 * Financial proxies: what an outcome is worth to the people who experience it, a year, in pounds. Each organisation
 * keeps a library, entered by its people with a source for every value; Patchwork invents none. A partnership's
 * SROI models may use the libraries of any of its organisations.
 */

export type ProxyView = { id: string; organisationId: string; organisationName: string; name: string; value: number; unit: string; source: string; sourceUrl: string | null; priceYear: number | null };

const proxyColumns = sql`p.id, p.organisation_id as "organisationId", o.name as "organisationName", p.name, p.value, p.unit, p.source, p.source_url as "sourceUrl", p.price_year as "priceYear"`;

/** The proxies of every organisation taking part in a partnership, by organisation then name. */
export async function proxiesForPartnership(db: Tx, partnershipId: string): Promise<ProxyView[]> {
  const rows = await queryRows<ProxyView>(
    db,
    sql`select ${proxyColumns} from sroi_proxies p join organisations o on o.id = p.organisation_id
        join partnership_organisations po on po.organisation_id = p.organisation_id and po.partnership_id = ${partnershipId}
        order by o.name, p.name`,
  );
  return rows.map((r) => ({ ...r, value: Number(r.value) }));
}

/** One proxy, only if it belongs to one of the partnership's organisations (a model may not use another's library). */
export async function proxyForPartnership(db: Tx, partnershipId: string, proxyId: string): Promise<ProxyView | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(proxyId)) return null;
  const [row] = await queryRows<ProxyView>(
    db,
    sql`select ${proxyColumns} from sroi_proxies p join organisations o on o.id = p.organisation_id
        join partnership_organisations po on po.organisation_id = p.organisation_id and po.partnership_id = ${partnershipId}
        where p.id = ${proxyId}`,
  );
  return row ? { ...row, value: Number(row.value) } : null;
}
