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
      legend: { decile: number; colour: string; label: string }[];
      legendTitle: string;
      /**
       * For a map of figures the page computed (a composite index, local data), as JSON: `areas` maps a code to
       * [band 1–10, description]; `within` maps each drawn LSOA to the area it lies in, when those areas have
       * no boundaries of their own; or `property` names the tile property (lad, ward) holding each LSOA's area.
       */
      values?: string;
      /** Whose deciles colour the map by default: the table's members (districts, wards) or the LSOAs. */
      membersLabel?: string;
    };

/** The rows of a page's table, to colour the map by: each LSOA takes its district's or ward's decile. */
export type Members = { property: 'lad' | 'ward' | 'code'; label: string; rows: { code: string; name: string; decile: number | null; rank: number | null }[] };

/**
 * The map of an edition's index on a page: every LSOA coloured by its national decile, the page's own area
 * picked out. The table on the same page carries the same figures, for anyone not using the map.
 */
export async function mapView(database: Database, edition: Edition, domain: string, area?: { level: AreaLevel; code: string }, members?: Members): Promise<MapView> {
  const tiles = tileServiceFor(database);
  const layer = await tiles.resolve(`${edition.id}.${domain}`);
  if (!layer || (await tiles.shapeCount(edition.lsoaVintage)) === 0) {
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
    legend: decileColours.map((colour, i) => ({ decile: i + 1, colour, label: i === 0 ? '1 most deprived' : i === 9 ? '10 least deprived' : String(i + 1) })),
    legendTitle: 'national decile',
    ...(members && {
      membersLabel: members.label,
      // Areas the table leaves out (a filter) have no entry, so they are drawn faded.
      values: inPage({
        areas: Object.fromEntries(members.rows.map((r) => [r.code, [r.decile, `${r.name} (${r.code}): ${r.decile ? `decile ${r.decile}` : 'no decile'}, ${r.rank === null ? 'no rank' : `rank ${r.rank.toLocaleString('en-GB')}`}`]])),
        within: {},
        property: members.property,
      }),
    }),
  };
}

/** JSON to sit in a <script type="application/json"> element: no "<" may close it early. */
export const inPage = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** A figure of an area for a values map: its band from 1 (worst tenth) to 10 (best), and what to say about it. */
export type MapValue = { band: number | null; text: string };

/**
 * A map of figures a page has computed for areas of one geography: each area coloured by its band. Where
 * that geography has no boundaries loaded (older wards, districts), its LSOAs are drawn instead, each
 * coloured as the area it lies in, through the lookup. The figures travel in the page, so the tiles stay
 * the shared, cacheable boundary tiles and nothing private enters them.
 */
export async function valuesMapView(
  database: Database,
  vintage: string,
  values: Map<string, MapValue>,
  options: { lsoaVintage: string; link: string; legendTitle: string; worst: string; best: string },
): Promise<MapView> {
  const tiles = tileServiceFor(database);
  const codes = [...values.keys()];
  if (!codes.length) return { available: false, reason: 'There are no figures to map.' };
  const list = sql.join(codes.map((c) => sql`${c}`), sql`, `);
  // LSOA → the area it lies in, when the areas themselves have no boundaries to draw.
  let within: Map<string, string> | null = null;
  let layer = await tiles.resolve(vintage);
  if (!layer) {
    layer = await tiles.resolve(options.lsoaVintage);
    if (!layer) return { available: false, reason: `The map appears once the ${options.lsoaVintage === 'lsoa21' ? '2021' : '2011'} LSOA boundaries are loaded (on a new installation they load in the background for a few minutes after the first start).` };
    const lsoas = await queryRows<{ code: string; parent: string }>(
      database.db,
      sql`select from_code as code, to_code as parent from area_lookups where from_vintage = ${options.lsoaVintage} and to_vintage = ${vintage} and to_code in (${list})`,
    );
    within = new Map(lsoas.map((l) => [l.code, l.parent]));
    if (!within.size) return { available: false, reason: 'These areas have no boundaries to draw, nor LSOAs that lie in them.' };
  }
  const drawn = within ? [...within.keys()] : codes;
  const drawnList = sql.join(drawn.map((c) => sql`${c}`), sql`, `);
  const [box] = await queryRows<{ w: number | null; s: number | null; e: number | null; n: number | null }>(
    database.db,
    sql`select ST_XMin(b) as w, ST_YMin(b) as s, ST_XMax(b) as e, ST_YMax(b) as n from (select ST_Extent(boundary) as b from areas where vintage = ${layer.vintage} and code in (${drawnList})) x`,
  );
  const bounds = box && box.w !== null ? [Number(box.w), Number(box.s), Number(box.e), Number(box.n)] : england;
  return {
    available: true,
    tiles: `/tiles/${layer.name}/{z}/{x}/{y}.mvt?v=${encodeURIComponent(await tiles.version(layer))}`,
    layer: layer.name,
    bounds: bounds.map((b) => b.toFixed(4)).join(','),
    focusProperty: '',
    focusCode: '',
    link: options.link,
    legend: decileColours.map((colour, i) => ({ decile: i + 1, colour, label: i === 0 ? `1 ${options.worst}` : i === 9 ? `10 ${options.best}` : String(i + 1) })),
    legendTitle: options.legendTitle,
    values: inPage({ areas: Object.fromEntries([...values].map(([code, v]) => [code, [v.band, v.text]])), within: within ? Object.fromEntries(within) : {} }),
  };
}

/** Bands of tenths by position: rank 1 of n is the best, so it falls in band 10. */
export const bandOfRank = (rank: number | null, n: number) => (rank === null || n === 0 ? null : Math.min(10, Math.max(1, Math.ceil((10 * (n - rank + 1)) / n))));
