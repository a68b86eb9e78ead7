import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import GeoJSONVT, { type LegacyTile } from 'geojson-vt';
import vtpbf from 'vt-pbf';
import { queryRows, type Database, type Db } from '../../platform/db/database.ts';
import { domains } from '../indicators/iod-import.ts';
import { findEdition, type Edition } from '../indicators/service.ts';

/**
 * Vector tiles made in the application, so both engines serve them (PGlite's PostGIS has no ST_AsMVT).
 * Each boundary vintage is cut once into a geojson-vt tile index held in memory; a tile is then a lookup
 * and a protobuf encoding, with each layer's figures added as feature properties. Encoded tiles are kept in
 * a bounded cache keyed by the data's version, so a re-import or new boundaries make new tiles.
 *
 * Layers: a boundary vintage with shapes (`lsoa11`, `lsoa21`, `ward25`: code and name), or an edition's
 * index (`iod2019.imd`, `iod2025.income`…): its LSOAs with decile, rank and the district and ward codes.
 */

const extent = 4096;
/** How long a boundary index is trusted before checking whether more shapes have been loaded. */
const recheckMs = 60_000;

type Index = { index: GeoJSONVT; count: number; checkedAt: number; version: string };
type Values = Map<string, { decile: number | null; rank: number | null; lad: string | null; ward: string | null }>;

export type Layer = { name: string; vintage: string; edition?: Edition; domain?: string };
export type Tile = { body: Buffer; etag: string } | null;

export class TileService {
  private indexes = new Map<string, Promise<Index>>();
  private values = new Map<string, Promise<Values>>();
  private tiles = new Map<string, Tile>();
  private shapes = new Map<string, { count: Promise<number>; checkedAt: number }>();

  constructor(
    private readonly db: () => Db,
    private readonly maxCachedTiles = 5000,
  ) {}

  /** What a layer name means, or null when it names nothing Patchwork has. */
  async resolve(name: string): Promise<Layer | null> {
    const [editionId, domain] = name.split('.');
    if (domain !== undefined) {
      if (!domains.some((d) => d.key === domain)) return null;
      const edition = await findEdition(this.db(), editionId);
      return edition ? { name, vintage: edition.lsoaVintage, edition, domain } : null;
    }
    return (await this.shapeCount(name)) > 0 ? { name, vintage: name } : null;
  }

  /**
   * How many areas of a vintage have boundaries, read again at most every `recheckMs`: pages ask on every
   * view whether their map can be drawn, and counting tens of thousands of shapes each time would cost more
   * than the rest of the page.
   */
  shapeCount(vintage: string): Promise<number> {
    const known = this.shapes.get(vintage);
    if (known && Date.now() - known.checkedAt < recheckMs) return known.count;
    const count = queryRows<{ n: number }>(this.db(), sql`select count(boundary)::int as n from areas where vintage = ${vintage}`).then(([row]) => row?.n ?? 0);
    count.catch(() => this.shapes.delete(vintage));
    this.shapes.set(vintage, { count, checkedAt: Date.now() });
    return count;
  }

  /** Forget what is known of which boundaries exist, as if `recheckMs` had passed. */
  forgetShapes(): void {
    this.shapes.clear();
  }

  /** The version of a layer's data: changes when its boundaries or (for an index) its edition change. */
  async version(layer: Layer): Promise<string> {
    const index = await this.index(layer.vintage);
    return layer.edition ? `${index.version}-${layer.edition.importedAt.getTime().toString(36)}` : index.version;
  }

  async tile(layer: Layer, z: number, x: number, y: number): Promise<Tile> {
    const index = await this.index(layer.vintage);
    const version = await this.version(layer);
    const key = `${layer.name}/${version}/${z}/${x}/${y}`;
    if (this.tiles.has(key)) {
      const hit = this.tiles.get(key)!;
      // Most recently used last, so the oldest entry is the first to go.
      this.tiles.delete(key);
      this.tiles.set(key, hit);
      return hit;
    }
    const raw = index.index.getTile(z, x, y);
    let tile: Tile = null;
    if (raw && raw.features.length) {
      const features = layer.edition ? await this.withValues(raw, layer) : raw;
      const body = Buffer.from(vtpbf.fromGeojsonVt({ [layer.name]: features }, { version: 2, extent }));
      tile = { body, etag: `"${createHash('sha1').update(key).digest('hex').slice(0, 20)}"` };
    }
    this.tiles.set(key, tile);
    if (this.tiles.size > this.maxCachedTiles) this.tiles.delete(this.tiles.keys().next().value!);
    return tile;
  }

  private async withValues(raw: LegacyTile, layer: Layer): Promise<LegacyTile> {
    const values = await this.layerValues(layer);
    return {
      features: raw.features.map((f) => {
        const v = values.get(String(f.tags?.code));
        return { ...f, tags: { ...f.tags, decile: v?.decile ?? null, rank: v?.rank ?? null, lad: v?.lad ?? null, ward: v?.ward ?? null } };
      }),
    };
  }

  private layerValues(layer: Layer): Promise<Values> {
    const edition = layer.edition!;
    const key = `${layer.name}@${edition.importedAt.getTime()}`;
    let values = this.values.get(key);
    if (!values) {
      values = queryRows<{ code: string; decile: number | null; rank: number | null; lad: string | null; ward: string | null }>(
        this.db(),
        sql`select v.code, v.decile, v.rank, d.to_code as lad, w.to_code as ward
            from indicator_values v
            left join area_lookups d on d.from_vintage = ${edition.lsoaVintage} and d.from_code = v.code and d.to_vintage = ${edition.ladVintage}
            left join area_lookups w on w.from_vintage = ${edition.lsoaVintage} and w.from_code = v.code and w.to_vintage = ${edition.wardVintage}
            where v.indicator_id = ${`${edition.id}.${layer.domain}`}`,
      ).then((rows) => new Map(rows.map((r) => [r.code, { decile: r.decile, rank: r.rank, lad: r.lad, ward: r.ward }])));
      values.catch(() => this.values.delete(key));
      this.values.set(key, values);
    }
    return values;
  }

  /** The tile index of a vintage's shapes, rebuilt when more shapes have been loaded since it was made. */
  private async index(vintage: string): Promise<Index> {
    const current = this.indexes.get(vintage);
    if (current) {
      const index = await current;
      if (Date.now() - index.checkedAt < recheckMs) return index;
      index.checkedAt = Date.now();
      const [row] = await queryRows<{ n: number; version: string }>(this.db(), boundaryVersion(vintage));
      if (row && row.version === index.version) return index;
    }
    const build = this.build(vintage);
    this.indexes.set(vintage, build);
    build.catch(() => this.indexes.delete(vintage));
    return build;
  }

  private async build(vintage: string): Promise<Index> {
    const [stamp] = await queryRows<{ n: number; version: string }>(this.db(), boundaryVersion(vintage));
    const rows = await queryRows<{ code: string; name: string; geometry: string }>(
      this.db(),
      sql`select code, name, ST_AsGeoJSON(boundary, 6) as geometry from areas where vintage = ${vintage} and boundary is not null`,
    );
    const index = new GeoJSONVT(
      { type: 'FeatureCollection', features: rows.map((r) => ({ type: 'Feature', properties: { code: r.code, name: r.name }, geometry: JSON.parse(r.geometry) })) },
      { maxZoom: 14, indexMaxZoom: 5, tolerance: 3, extent, buffer: 64 },
    );
    return { index, count: rows.length, checkedAt: Date.now(), version: stamp?.version ?? '0' };
  }
}

/**
 * A cheap fingerprint of a vintage's shapes: how many there are. It changes as the bundled boundaries load
 * (and reading it touches no geometry); redrawing shapes without changing their number needs a restart.
 */
function boundaryVersion(vintage: string) {
  return sql`select count(boundary)::int as n, count(boundary)::text as version from areas where vintage = ${vintage}`;
}

/** One tile service per database, shared by the tile routes and the pages that draw maps. */
const services = new WeakMap<Database, TileService>();
export function tileServiceFor(database: Database): TileService {
  let service = services.get(database);
  if (!service) {
    service = new TileService(() => database.db);
    services.set(database, service);
  }
  return service;
}
