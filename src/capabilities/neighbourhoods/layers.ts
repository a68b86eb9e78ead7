import { and, asc, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { canSee, visibleTo, type Viewer } from '../../platform/auth/permissions.ts';
import { organisations } from '../../platform/auth/schema.ts';
import type { Db } from '../../platform/db/database.ts';
import type { Edition } from '../indicators/service.ts';
import { BoundaryUploadError, readBoundaryFeatures, toValidBoundary, type BoundaryFeatures } from './geometry-input.ts';
import { neighbourhoodLayers, neighbourhoods, neighbourhoodVersions } from './schema.ts';
import { insertNeighbourhood, NeighbourhoodError, type NeighbourhoodDetails, type Owner, type Shape } from './service.ts';

/**
 * Layers: a set of areas imported together from one file, such as every primary care network's footprint in
 * a district, so that a footprint no one publishes as a statutory geography can still be compared with wards
 * in the overlap matrix. Each area is an ordinary neighbourhood (profile, versions, sharing) that remembers
 * its layer and its code in the file; the layer is shared, and its areas with it, as its owner chooses.
 */

/** As a neighbourhood's details, with where the file came from; its areas take its purpose and sharing. */
export type LayerDetails = NeighbourhoodDetails & { source: string | null };
/** Which property of each feature (or column of a shapefile's .dbf) holds the area's name, and its code. */
export type LayerFields = { nameProperty: string; codeProperty: string | null };

/** The most problems one refusal lists: enough to fix a file in one go, not so many the page is a wall. */
const maxProblems = 20;
/** The longest name an area may have, as for a neighbourhood made on its own. */
const maxNameLength = 120;

/** An import refused: every problem found, each naming its feature, and the form field they belong to. */
export class LayerImportError extends Error {
  constructor(
    readonly problems: string[],
    readonly field: 'file' | 'nameProperty' | 'codeProperty',
    readonly more = 0,
  ) {
    super(problems[0] + (problems.length + more > 1 ? ` (and ${problems.length + more - 1} more ${problems.length + more === 2 ? 'problem' : 'problems'})` : ''));
    this.name = 'LayerImportError';
  }
}

const valueText = (value: unknown) => (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? String(value).trim() : '');
const quoted = (s: string) => `“${s.length > 60 ? `${s.slice(0, 60)}…` : s}”`;
const propertyList = (names: string[]) => (names.length ? names.slice(0, 25).join(', ') + (names.length > 25 ? ` and ${names.length - 25} more` : '') : 'none');

/**
 * Imports a file of many areas as a new layer: each feature becomes a neighbourhood of the layer with a first
 * version made as an uploaded boundary is (repaired and checked by toValidBoundary, then apportioned to
 * LSOAs). All or nothing: any feature without a name, with a name or code another has, or with a shape that
 * cannot be used refuses the whole file, every such feature named, and nothing is stored.
 */
export async function importLayer(
  db: Db,
  details: LayerDetails,
  file: { bytes: Buffer | Uint8Array; filename: string },
  fields: LayerFields,
  owner: Owner,
  actor: Actor,
): Promise<{ id: string; areas: number; repaired: number }> {
  const nameOf = (properties: Record<string, unknown>) => valueText(properties[fields.nameProperty]);
  const label = ({ number, properties }: { number: number; properties: Record<string, unknown> }) => `Feature ${number}${nameOf(properties) ? ` (${quoted(nameOf(properties))})` : ''}`;

  let upload: BoundaryFeatures;
  try {
    upload = await readBoundaryFeatures(file.bytes, file.filename, label);
  } catch (error) {
    if (error instanceof BoundaryUploadError) throw new LayerImportError([error.message], 'file');
    throw error;
  }
  // A property no feature has is a slip on the form, not a fault of every feature: say which there are.
  const has = (property: string) => upload.propertyNames.includes(property);
  if (!has(fields.nameProperty)) {
    throw new LayerImportError([`No feature in the file has a property called ${quoted(fields.nameProperty)}. Its features' properties are: ${propertyList(upload.propertyNames)}`], 'nameProperty');
  }
  if (fields.codeProperty && !has(fields.codeProperty)) {
    throw new LayerImportError([`No feature in the file has a property called ${quoted(fields.codeProperty)}. Its features' properties are: ${propertyList(upload.propertyNames)}`], 'codeProperty');
  }

  const problems: string[] = [];
  const problem = (text: string) => problems.push(text);
  const firstWithName = new Map<string, number>();
  const firstWithCode = new Map<string, number>();
  const areas = upload.features.map((feature) => {
    const name = nameOf(feature.properties);
    const code = fields.codeProperty ? valueText(feature.properties[fields.codeProperty]) || null : null;
    const where = label(feature);
    if (!name) problem(`${where} has no name: its ${quoted(fields.nameProperty)} is empty`);
    else if (name.length > maxNameLength) problem(`${where}: the name must be ${maxNameLength} characters or fewer`);
    // PostgreSQL text cannot hold a NUL character: a name or code with one is refused, not left to fail when saved.
    else if (name.includes('\0')) problem(`${where}: the name must not contain a NUL character`);
    else {
      // Names are compared as people read them, so "Armley PCN" and "armley pcn" are one area named twice.
      const key = name.toLocaleLowerCase('en-GB').replace(/\s+/g, ' ');
      const earlier = firstWithName.get(key);
      if (earlier !== undefined) problem(`${where} has the same name as feature ${earlier}: each area of a layer needs a name of its own`);
      else firstWithName.set(key, feature.number);
    }
    if (code?.includes('\0')) problem(`${where}: the code must not contain a NUL character`);
    else if (code) {
      const earlier = firstWithCode.get(code.toUpperCase());
      if (earlier !== undefined) problem(`${where} has the same code (${quoted(code)}) as feature ${earlier}: each area's code must be its own`);
      else firstWithCode.set(code.toUpperCase(), feature.number);
    }
    return { feature, name, code, where };
  });

  // Each shape is checked and repaired before the transaction: toValidBoundary asks PostGIS, and a database
  // error there must not end a transaction holding half a layer.
  const shapes: (Shape | null)[] = [];
  let repaired = 0;
  for (const area of areas) {
    try {
      const boundary = await toValidBoundary(db, area.feature.geometry, upload.srid);
      if (boundary.repaired) repaired++;
      shapes.push({ method: 'uploaded', geoJson: JSON.stringify(boundary.geojson), repairNote: boundary.repaired ? boundary.repairs.map((r) => r.message).join('; ') : null });
    } catch (error) {
      if (!(error instanceof BoundaryUploadError)) throw error;
      problem(`${area.where}: ${error.message}`);
      shapes.push(null);
    }
  }
  if (problems.length) throw new LayerImportError(problems.slice(0, maxProblems), 'file', Math.max(0, problems.length - maxProblems));

  return db.transaction(async (tx) => {
    const [layer] = await tx
      .insert(neighbourhoodLayers)
      .values({ ...details, ownerOrganisationId: owner.organisationId, createdBy: owner.userId })
      .returning({ id: neighbourhoodLayers.id });
    const made: { id: string; name: string; code: string | null; lsoas: number }[] = [];
    for (const [i, area] of areas.entries()) {
      try {
        const neighbourhood = await insertNeighbourhood(tx, { name: area.name, purpose: details.purpose, description: null, sharing: details.sharing, layerId: layer!.id, code: area.code }, shapes[i]!, owner);
        made.push({ id: neighbourhood.id, name: area.name, code: area.code, lsoas: neighbourhood.lsoas });
      } catch (error) {
        // Only a refusal (such as a shape covering no LSOA) is gathered; the transaction is still sound and
        // is rolled back below, so the rest of the file is checked too.
        if (!(error instanceof NeighbourhoodError)) throw error;
        problem(`${area.where}: ${error.message}`);
      }
    }
    if (problems.length) throw new LayerImportError(problems.slice(0, maxProblems), 'file', Math.max(0, problems.length - maxProblems));
    await recordAudit(tx, {
      actor,
      action: 'neighbourhood-layer.imported',
      objectType: 'neighbourhood_layer',
      objectId: layer!.id,
      organisationId: owner.organisationId,
      details: { name: details.name, purpose: details.purpose, sharing: details.sharing, source: details.source, format: upload.format, nameProperty: fields.nameProperty, codeProperty: fields.codeProperty, repaired, areas: made },
    });
    return { id: layer!.id, areas: made.length, repaired };
  });
}

export type NeighbourhoodLayer = typeof neighbourhoodLayers.$inferSelect & { ownerName: string; ownerSlug: string };
const withOwner = { layer: neighbourhoodLayers, ownerName: organisations.name, ownerSlug: organisations.slug };

/** One layer, or null when it does not exist or is not shared with this viewer (the same answer). */
export async function findLayer(db: Db, viewer: Viewer, id: string): Promise<NeighbourhoodLayer | null> {
  const [row] = await db.select(withOwner).from(neighbourhoodLayers).innerJoin(organisations, eq(organisations.id, neighbourhoodLayers.ownerOrganisationId)).where(eq(neighbourhoodLayers.id, id));
  if (!row || !canSee(viewer, row.layer.sharing, row.layer.ownerOrganisationId)) return null;
  return { ...row.layer, ownerName: row.ownerName, ownerSlug: row.ownerSlug };
}

/** The layers this viewer may see, by name, with how many areas each has. */
export async function visibleLayers(db: Db, viewer: Viewer): Promise<(NeighbourhoodLayer & { areas: number })[]> {
  const rows = await db
    .select({ ...withOwner, areas: sql<number>`(select count(*)::int from ${neighbourhoods} where ${neighbourhoods.layerId} = ${neighbourhoodLayers.id})` })
    .from(neighbourhoodLayers)
    .innerJoin(organisations, eq(organisations.id, neighbourhoodLayers.ownerOrganisationId))
    .where(visibleTo(viewer, neighbourhoodLayers.sharing, neighbourhoodLayers.ownerOrganisationId))
    .orderBy(asc(neighbourhoodLayers.name), asc(neighbourhoodLayers.createdAt));
  return rows.map((r) => ({ ...r.layer, ownerName: r.ownerName, ownerSlug: r.ownerSlug, areas: Number(r.areas) }));
}

export type LayerArea = { id: string; name: string; code: string | null; currentVersion: number; versionId: string; areaSqKm: number; population: number | null };

/**
 * A layer's areas the viewer may see (all of them, while an area's sharing is the layer's), by name, each
 * with its current version, its area and the people it counts by the edition's denominators (null without one).
 */
export async function layerAreas(db: Db, viewer: Viewer, layerId: string, edition: Edition | null): Promise<LayerArea[]> {
  const population = edition
    ? sql<number | null>`(select sum(l.share * p.value) from neighbourhood_lsoas l join indicator_values p on p.indicator_id = ${edition.populationIndicatorId} and p.code = l.lsoa_code
                          where l.version_id = ${neighbourhoodVersions.id} and l.lsoa_vintage = ${edition.lsoaVintage})`
    : sql<number | null>`null`;
  const rows = await db
    .select({ id: neighbourhoods.id, name: neighbourhoods.name, code: neighbourhoods.code, currentVersion: neighbourhoods.currentVersion, versionId: neighbourhoodVersions.id, areaSqKm: neighbourhoodVersions.areaSqKm, population })
    .from(neighbourhoods)
    .innerJoin(neighbourhoodVersions, and(eq(neighbourhoodVersions.neighbourhoodId, neighbourhoods.id), eq(neighbourhoodVersions.version, neighbourhoods.currentVersion)))
    .where(and(eq(neighbourhoods.layerId, layerId), visibleTo(viewer, neighbourhoods.sharing, neighbourhoods.ownerOrganisationId)))
    .orderBy(asc(neighbourhoods.name));
  return rows
    .map((r) => ({ ...r, areaSqKm: Number(r.areaSqKm), population: r.population === null ? null : Number(r.population) }))
    .sort((a, b) => a.name.localeCompare(b.name, 'en-GB', { numeric: true }));
}
