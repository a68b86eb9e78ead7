import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import { locatePoints } from './locator.ts';
import { findPostcode } from './postcodes.ts';

export type PlacedPostcode = { display: string; lsoa21: string | null; ward25: string | null; lad25: string | null };

/**
 * Where a postcode is: its point placed in a 2021 LSOA and a 2025 ward by the boundaries (falling back to the
 * published lookups), and the district from the ward. Used wherever a person gives a postcode so that only the areas
 * need be kept.
 */
export async function placePostcode(tx: Tx, input: string): Promise<{ ok: true; place: PlacedPostcode } | { ok: false; message: string }> {
  const found = await findPostcode(tx, input);
  if (!found.postcode) return { ok: false, message: found.message };
  const place = (await placePostcodes(tx, [found.postcode.postcode])).get(found.postcode.postcode);
  if (!place) return { ok: false, message: `${found.postcode.display} cannot be placed in a 2021 LSOA or 2025 ward with the boundaries loaded` };
  return { ok: true, place };
}

/**
 * The same for many postcodes at once (normalised, as stored), in a few statements whatever their number: an import's
 * suppliers, say. Postcodes not loaded, or not placeable, are absent from the result.
 */
export async function placePostcodes(tx: Tx, postcodes: readonly string[]): Promise<Map<string, PlacedPostcode>> {
  const result = new Map<string, PlacedPostcode>();
  const unique = [...new Set(postcodes)];
  if (!unique.length) return result;
  const rows = await queryRows<{ postcode: string; display: string; lsoa21: string | null; lon: number | null; lat: number | null }>(
    tx,
    sql`select postcode, display, lsoa21, ST_X(location) as lon, ST_Y(location) as lat from postcodes where postcode in (${sql.join(unique.map((p) => sql`${p}`), sql`, `)})`,
  );
  const withPoint = rows.filter((r) => r.lon !== null && r.lat !== null);
  const located = await locatePoints(tx, withPoint.map((r) => ({ lon: Number(r.lon), lat: Number(r.lat) })), ['lsoa21', 'ward25'] as const);
  const codes = new Map(withPoint.map((r, i) => [r.postcode, located[i]!]));
  const placed = rows.map((r) => ({ postcode: r.postcode, display: r.display, lsoa21: codes.get(r.postcode)?.lsoa21 ?? r.lsoa21, ward25: codes.get(r.postcode)?.ward25 ?? null })).filter((p) => p.lsoa21 || p.ward25);
  if (!placed.length) return result;
  const lookup = (from: string, code: SQL, to: string) => sql`(select l.to_code from area_lookups l where l.from_vintage = ${from} and l.from_code = ${code} and l.to_vintage = ${to} order by l.share desc nulls last, l.to_code limit 1)`;
  const values = sql.join(placed.map((p) => sql`(${p.postcode}, ${p.lsoa21}, ${p.ward25})`), sql`, `);
  const areas = await queryRows<{ postcode: string; ward25: string | null; lad25: string | null }>(
    tx,
    sql`with w as (select v.postcode, v.lsoa21, coalesce(v.ward25, ${lookup('lsoa21', sql`v.lsoa21`, 'ward25')}) as ward25 from (values ${values}) as v(postcode, lsoa21, ward25))
        select w.postcode, w.ward25, coalesce(${lookup('ward25', sql`w.ward25`, 'lad25')}, ${lookup('lsoa21', sql`w.lsoa21`, 'lad25')}) as lad25 from w`,
  );
  const byPostcode = new Map(areas.map((a) => [a.postcode, a]));
  for (const p of placed) result.set(p.postcode, { display: p.display, lsoa21: p.lsoa21, ward25: byPostcode.get(p.postcode)?.ward25 ?? null, lad25: byPostcode.get(p.postcode)?.lad25 ?? null });
  return result;
}
