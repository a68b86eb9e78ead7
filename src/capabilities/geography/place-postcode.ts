import { sql } from 'drizzle-orm';
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
  const p = found.postcode;
  let { lsoa21 } = p;
  let ward25: string | null = null;
  if (p.latitude !== null && p.longitude !== null) {
    const [codes] = await locatePoints(tx, [{ lon: p.longitude, lat: p.latitude }], ['lsoa21', 'ward25'] as const);
    lsoa21 = codes?.lsoa21 ?? lsoa21;
    ward25 = codes?.ward25 ?? null;
  }
  ward25 ??= lsoa21 ? await lookup(tx, 'lsoa21', lsoa21, 'ward25') : null;
  const lad25 = (ward25 ? await lookup(tx, 'ward25', ward25, 'lad25') : null) ?? (lsoa21 ? await lookup(tx, 'lsoa21', lsoa21, 'lad25') : null);
  if (!lsoa21 && !ward25) return { ok: false, message: `${p.display} cannot be placed in a 2021 LSOA or 2025 ward with the boundaries loaded` };
  return { ok: true, place: { display: p.display, lsoa21, ward25, lad25 } };
}

async function lookup(tx: Tx, from: string, code: string, to: string): Promise<string | null> {
  const [row] = await queryRows<{ code: string }>(tx, sql`select to_code as code from area_lookups where from_vintage = ${from} and from_code = ${code} and to_vintage = ${to} order by share desc nulls last, to_code limit 1`);
  return row?.code ?? null;
}
