import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../platform/db/database.ts';
import type { AreaLevel, Edition } from '../indicators/service.ts';
import { decileColours } from '../need/charts.ts';
import { tileServiceFor } from './tiles.ts';

/** England's extent (west, south, east, north), for the national map. */
const england = [-6.42, 49.86, 1.77, 55.81] as const;

export type MapView =
  | { available: false; reason: string }
  | {
      available: true;
      tiles: string;
      layer: string;
      bounds: string;
      /** Only the LSOAs whose `focusProperty` equals `focusCode` are drawn in full colour. */
      focusProperty: 'lad' | 'ward' | 'code' | '';
      focusCode: string;
      link: string;
      legend: { decile: number; colour: string }[];
    };

/**
 * The map of an edition's index on a page: every LSOA coloured by its national decile, the page's own area
 * picked out. The table on the same page carries the same figures, for anyone not using the map.
 */
export async function mapView(database: Database, edition: Edition, domain: string, area?: { level: AreaLevel; code: string }): Promise<MapView> {
  const tiles = tileServiceFor(database);
  const layer = await tiles.resolve(`${edition.id}.${domain}`);
  const [drawn] = await queryRows<{ n: number }>(database.db, sql`select count(boundary)::int as n from areas where vintage = ${edition.lsoaVintage}`);
  if (!layer || !drawn || drawn.n === 0) {
    return { available: false, reason: `The map appears once the ${edition.lsoaVintage === 'lsoa21' ? '2021' : '2011'} LSOA boundaries are loaded (on a new installation they load in the background for a few minutes after the first start).` };
  }
  const version = await tiles.version(layer);
  let bounds: readonly number[] = england;
  if (area) {
    const ladOrWard = area.level === 'lad' ? edition.ladVintage : edition.wardVintage;
    const [box] = await queryRows<{ w: number | null; s: number | null; e: number | null; n: number | null }>(
      database.db,
      area.level === 'lsoa'
        ? sql`select ST_XMin(b) as w, ST_YMin(b) as s, ST_XMax(b) as e, ST_YMax(b) as n from (select ST_Extent(boundary) as b from areas where vintage = ${edition.lsoaVintage} and code = ${area.code}) x`
        : sql`select ST_XMin(b) as w, ST_YMin(b) as s, ST_XMax(b) as e, ST_YMax(b) as n from (
                select ST_Extent(a.centroid) as b from area_lookups l join areas a on a.vintage = l.from_vintage and a.code = l.from_code
                where l.from_vintage = ${edition.lsoaVintage} and l.to_vintage = ${ladOrWard} and l.to_code = ${area.code}) x`,
    );
    if (box && box.w !== null) {
      // Centroids sit inside their LSOAs: pad so the outer LSOAs are in view.
      const pad = area.level === 'lsoa' ? 0.002 : Math.max(0.01, (Number(box.e) - Number(box.w)) * 0.08);
      bounds = [Number(box.w) - pad, Number(box.s) - pad, Number(box.e) + pad, Number(box.n) + pad];
    }
  }
  return {
    available: true,
    tiles: `/tiles/${layer.name}/{z}/{x}/{y}.mvt?v=${encodeURIComponent(version)}`,
    layer: layer.name,
    bounds: bounds.map((b) => b.toFixed(4)).join(','),
    focusProperty: !area ? '' : area.level === 'lsoa' ? 'code' : area.level,
    focusCode: area?.code ?? '',
    link: `/areas/{code}?edition=${edition.id}${domain === 'imd' ? '' : `&domain=${domain}`}`,
    legend: decileColours.map((colour, i) => ({ decile: i + 1, colour })),
  };
}
