import { sql, type SQL } from 'drizzle-orm';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { findNeighbourhood } from '../neighbourhoods/service.ts';

/**
 * The places responses are looked at for: a 2025 district, a 2025 ward, or a neighbourhood the viewer may see.
 * One definition of "in the area" serves counts, population comparisons and Place Standard results alike:
 *
 * - district and ward: the response's own codes (found from its postcode's point when it was recorded);
 *   their population is that of the 2021 LSOAs best-fitting them (a point inside each LSOA).
 * - neighbourhood: responses that chose it, and those whose 2021 LSOA lies mostly (by population share, at
 *   least half) inside its current version; its population is that of the same LSOAs, so both sides of
 *   any comparison count the same places.
 */

export type VoiceArea =
  | { kind: 'lad25' | 'ward25'; code: string; name: string }
  | { kind: 'neighbourhood'; id: string; name: string; versionId: string };

/** Share of an LSOA's people inside a neighbourhood for it to count as in it (best fit). */
export const neighbourhoodBestFit = 0.5;

/** How an area is written in a query string: ward25:E05…, lad25:E08…, neighbourhood:<id>. */
export function areaKey(area: VoiceArea): string {
  return area.kind === 'neighbourhood' ? `neighbourhood:${area.id}` : `${area.kind}:${area.code}`;
}

/** Reads an area key, or null when it names nothing the viewer may see. */
export async function resolveArea(db: Db, viewer: Viewer, key: string | undefined): Promise<VoiceArea | null> {
  const match = /^(lad25|ward25|neighbourhood):([A-Za-z0-9-]{1,40})$/.exec(key?.trim() ?? '');
  if (!match) return null;
  const [, kind, id] = match as unknown as [string, 'lad25' | 'ward25' | 'neighbourhood', string];
  if (kind === 'neighbourhood') {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
    const n = await findNeighbourhood(db, viewer, id);
    if (!n) return null;
    const [version] = await queryRows<{ id: string }>(db, sql`select id from neighbourhood_versions where neighbourhood_id = ${n.id} and version = ${n.currentVersion}`);
    return version ? { kind, id: n.id, name: n.name, versionId: version.id } : null;
  }
  const code = id.toUpperCase();
  const [row] = await queryRows<{ name: string }>(db, sql`select name from areas where vintage = ${kind} and code = ${code}`);
  return row ? { kind, code, name: row.name } : null;
}

/** The 2021 LSOAs counted as the area's population (a subquery selecting `code`). */
export function lsoasIn(area: VoiceArea): SQL {
  if (area.kind === 'neighbourhood') {
    return sql`select lsoa_code as code from neighbourhood_lsoas where version_id = ${area.versionId} and lsoa_vintage = 'lsoa21' and share >= ${neighbourhoodBestFit}`;
  }
  if (area.kind === 'ward25') return sql`select from_code as code from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'ward25' and to_code = ${area.code}`;
  return sql`select l.from_code as code from area_lookups l join area_lookups w on w.from_vintage = 'ward25' and w.from_code = l.to_code and w.to_vintage = 'lad25'
    where l.from_vintage = 'lsoa21' and l.to_vintage = 'ward25' and w.to_code = ${area.code}`;
}

/** A condition on `voice_responses r`: the response is in the area. */
export function responseIn(area: VoiceArea): SQL {
  if (area.kind === 'lad25') return sql`r.lad25 = ${area.code}`;
  if (area.kind === 'ward25') return sql`r.ward25 = ${area.code}`;
  if (area.kind !== 'neighbourhood') throw new Error('unreachable');
  return sql`(r.neighbourhood_id = ${area.id} or r.lsoa21 in (${lsoasIn(area)}))`;
}

/** The 2025 wards of a district, by name: the rows of a district's "by area" comparison. */
export async function wardsOf(db: Tx, lad25: string): Promise<{ code: string; name: string }[]> {
  return queryRows<{ code: string; name: string }>(
    db,
    sql`select a.code, a.name from areas a join area_lookups w on w.from_vintage = 'ward25' and w.from_code = a.code and w.to_vintage = 'lad25' and w.to_code = ${lad25}
        where a.vintage = 'ward25' order by a.name`,
  );
}

/**
 * The choices for narrowing a campaign's results to an area: the whole campaign, its district, and the districts
 * and wards its responses are in (a neighbourhood, asked for by its key, is kept as chosen).
 */
export async function areaChoices(db: Tx, campaign: { id: string; lad25: string | null }, chosen: VoiceArea | null, chosenKey: string): Promise<{ value: string; text: string; selected: boolean }[]> {
  const places = await queryRows<{ kind: string; code: string; name: string }>(
    db,
    sql`select 'lad25' as kind, a.code, a.name from areas a where a.vintage = 'lad25' and a.code in (select lad25 from voice_responses where campaign_id = ${campaign.id} and lad25 is not null union select ${campaign.lad25 ?? ''})
        union all
        select 'ward25' as kind, a.code, a.name from areas a where a.vintage = 'ward25' and a.code in (select ward25 from voice_responses where campaign_id = ${campaign.id} and ward25 is not null)
        order by 1, 3`,
  );
  const items = [
    { value: '', text: 'The whole campaign', selected: !chosenKey },
    ...places.map((p) => ({ value: `${p.kind}:${p.code}`, text: p.kind === 'lad25' ? `${p.name} (district)` : `${p.name} (ward)`, selected: `${p.kind}:${p.code}` === chosenKey })),
  ];
  if (chosen?.kind === 'neighbourhood') items.push({ value: chosenKey, text: `${chosen.name} (neighbourhood)`, selected: true });
  return items;
}
