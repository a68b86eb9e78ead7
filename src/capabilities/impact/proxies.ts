import { and, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { spreadsheetCsv } from '../../platform/data/csv.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { formProblems, text, type Form } from '../../platform/web/forms.ts';
import { sroiProxies } from './schema.ts';
import { isUuid, numberOrNull, type Checked } from './web.ts';

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

// ---- An organisation's own library: reading, checking and writing -------------------------------------------------

/** The organisation's proxies by name, and how many SROI outcomes copied each (they keep the copy if it goes). */
export async function proxiesOfOrganisation(db: Tx, organisationId: string): Promise<(ProxyView & { uses: number })[]> {
  const rows = await queryRows<ProxyView & { uses: number }>(
    db,
    sql`select ${proxyColumns}, (select count(*)::int from sroi_outcomes so where so.proxy_id = p.id) as uses
        from sroi_proxies p join organisations o on o.id = p.organisation_id
        where p.organisation_id = ${organisationId} order by lower(p.name), p.id`,
  );
  return rows.map((r) => ({ ...r, value: Number(r.value), uses: Number(r.uses) }));
}

/** One proxy, only if it is this organisation's: routes answer 404 for anyone else's. */
export async function proxyOfOrganisation(db: Tx, organisationId: string, proxyId: string): Promise<(ProxyView & { uses: number }) | null> {
  if (!isUuid(proxyId)) return null;
  const [row] = await queryRows<ProxyView & { uses: number }>(
    db,
    sql`select ${proxyColumns}, (select count(*)::int from sroi_outcomes so where so.proxy_id = p.id) as uses
        from sroi_proxies p join organisations o on o.id = p.organisation_id
        where p.organisation_id = ${organisationId} and p.id = ${proxyId}`,
  );
  return row ? { ...row, value: Number(row.value), uses: Number(row.uses) } : null;
}

export const proxyLimits = { name: 200, unit: 100, source: 1_000, sourceUrl: 2_000, value: 1_000_000_000 } as const;
/** Older values are too far from today's prices to be worth recording without re-basing them. */
export const earliestPriceYear = 1990;

export type ProxyInput = { name: string; value: number; unit: string; source: string; sourceUrl: string | null; priceYear: number | null };


export function readProxyForm(form: Form, thisYear: number): Checked<ProxyInput> {
  const { errors, fail } = formProblems();
  const name = text(form, 'name').trim();
  if (!name) fail('name', 'Enter what the proxy values, like “Improved wellbeing from regular volunteering”');
  else if (name.length > proxyLimits.name) fail('name', `The name must be ${proxyLimits.name} characters or fewer`);
  const typedValue = text(form, 'value').trim();
  const value = numberOrNull(typedValue);
  if (!typedValue) fail('value', 'Enter the value in pounds');
  else if (value === null) fail('value', 'Enter the value as a number of pounds, like 42.5');
  else if (value < 0) fail('value', 'The value must be £0 or more');
  else if (value > proxyLimits.value) fail('value', 'The value must be £1,000,000,000 or less');
  const unit = text(form, 'unit').trim();
  if (!unit) fail('unit', 'Enter what one unit is, like “per person per year”');
  else if (unit.length > proxyLimits.unit) fail('unit', `The unit must be ${proxyLimits.unit} characters or fewer`);
  const source = text(form, 'source').trim();
  if (!source) fail('source', 'Enter where the value comes from, like “HACT Social Value Bank, 2023”');
  else if (source.length > proxyLimits.source) fail('source', `The source must be ${proxyLimits.source.toLocaleString('en-GB')} characters or fewer`);
  const sourceUrl = text(form, 'sourceUrl').trim();
  if (sourceUrl) {
    let url: URL | null = null;
    try {
      url = new URL(sourceUrl);
    } catch {
      url = null;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol)) fail('sourceUrl', 'Enter the source’s web address starting with https:// or http://');
    else if (sourceUrl.length > proxyLimits.sourceUrl) fail('sourceUrl', `The web address must be ${proxyLimits.sourceUrl.toLocaleString('en-GB')} characters or fewer`);
  }
  const typedYear = text(form, 'priceYear').trim();
  const priceYear = typedYear ? Number(typedYear) : null;
  if (typedYear && (!/^\d{4}$/.test(typedYear) || priceYear! < earliestPriceYear || priceYear! > thisYear)) fail('priceYear', `The price year must be a year from ${earliestPriceYear} to ${thisYear}, like ${thisYear - 1}`);
  if (errors.summary.length) return { ok: false, errors };
  return { ok: true, input: { name, value: value!, unit, source, sourceUrl: sourceUrl || null, priceYear } };
}

const proxyAudit = (input: ProxyInput) => ({ name: input.name, value: input.value, unit: input.unit, source: input.source, sourceUrl: input.sourceUrl, priceYear: input.priceYear });

export async function createProxy(db: Db, organisationId: string, input: ProxyInput, actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(sroiProxies).values({ organisationId, ...input, createdBy: actor.userId }).returning({ id: sroiProxies.id });
    await recordAudit(tx, { actor, action: 'impact.proxy.created', objectType: 'sroi-proxy', objectId: row!.id, organisationId, details: proxyAudit(input) });
    return row!.id;
  });
}

/** Changes the library's value; models that copied it keep the value they were built with. */
export async function updateProxy(db: Db, organisationId: string, proxyId: string, input: ProxyInput, actor: Actor): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(sroiProxies)
      .set({ ...input, updatedAt: new Date() })
      .where(and(eq(sroiProxies.id, proxyId), eq(sroiProxies.organisationId, organisationId)))
      .returning({ id: sroiProxies.id });
    if (!row) return false;
    await recordAudit(tx, { actor, action: 'impact.proxy.updated', objectType: 'sroi-proxy', objectId: proxyId, organisationId, details: proxyAudit(input) });
    return true;
  });
}

/** Removes it from the library; SROI outcomes that used it keep their copied value and source (proxy_id goes null). */
export async function deleteProxy(db: Db, organisationId: string, proxyId: string, actor: Actor): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .delete(sroiProxies)
      .where(and(eq(sroiProxies.id, proxyId), eq(sroiProxies.organisationId, organisationId)))
      .returning({ id: sroiProxies.id, name: sroiProxies.name, value: sroiProxies.value });
    if (!row) return false;
    await recordAudit(tx, { actor, action: 'impact.proxy.deleted', objectType: 'sroi-proxy', objectId: proxyId, organisationId, details: { name: row.name, value: row.value } });
    return true;
  });
}

/** The library as a spreadsheet: every cell guarded against formulas, values as plain numbers. */
export function proxiesCsv(rows: ProxyView[]): string {
  return spreadsheetCsv(
    ['name', 'value_pounds', 'unit', 'source', 'source_url', 'price_year'],
    rows.map((r) => [r.name, String(r.value), r.unit, r.source, r.sourceUrl ?? '', r.priceYear === null ? '' : String(r.priceYear)]),
  );
}
