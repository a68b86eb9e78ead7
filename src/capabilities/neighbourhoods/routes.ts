import { stringify } from 'csv-stringify/sync';
import { residentsSaid } from '../community-voice/profile.ts';
import { storiesFor } from '../impact/stories.ts';
import { peopleSupported } from '../supporting-people/profile.ts';
import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, decide, viewerOf, type Viewer } from '../../platform/auth/permissions.ts';
import type { SessionUser } from '../../platform/auth/sessions.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { fieldError, formProblems, type Fail, type FormErrors } from '../../platform/web/forms.ts';
import { domains } from '../indicators/iod-import.ts';
import { domainKey, editionParam, sendCsv } from '../indicators/routes.ts';
import { findEdition, listEditions } from '../indicators/service.ts';
import { sharingLevels } from '../indicators/schema.ts';
import { tileServiceFor } from '../maps/tiles.ts';
import { valuesMapView, type MapValue } from '../maps/view.ts';
import { decileChartSvg } from '../need/charts.ts';
import { BoundaryUploadError, readBoundaryUpload, toValidBoundary } from './geometry-input.ts';
import { neighbourhoodPurposes } from './schema.ts';
import { visibleLayers } from './layers.ts';
import {
  addVersion,
  createNeighbourhood,
  findNeighbourhood,
  memberGeographies,
  NeighbourhoodError,
  neighbourhoodProfile,
  versionsOf,
  visibleNeighbourhoods,
  type MemberGeography,
  type NeighbourhoodDetails,
  type Shape,
} from './service.ts';
import { neighbourhoodIndexPositions, neighbourhoodLocalData } from './profile-extras.ts';

export const purposeText: Record<(typeof neighbourhoodPurposes)[number], string> = {
  'resident-defined': 'Resident-defined neighbourhood',
  'pcn-footprint': 'Primary care network footprint',
  'service-delivery': 'Service delivery footprint',
  locality: 'Locality',
  'partnership-area': 'Partnership area',
  other: 'Other',
};
export const sharingText = { public: 'Anyone (public)', partners: 'Partners: anyone signed in from an organisation taking part', organisation: 'My organisation only' } as const;
const methodText = { lsoas: 'chosen LSOAs', wards: 'chosen wards', drawn: 'a boundary drawn on the map', uploaded: 'an uploaded boundary', 'resident-consensus': 'where residents agree' } as const;
const apportionmentText: Record<string, string> = {
  'whole-lsoa': 'whole LSOA',
  'population-weighted-centroid': 'by population-weighted centroid',
  'area-weighted': 'by share of area',
};

export type Form = Record<string, string | string[] | Buffer | undefined>;
export const text = (form: Form, field: string) => (typeof form[field] === 'string' ? (form[field] as string).trim() : '');
const list = (form: Form, field: string) => [form[field]].flat().filter((v): v is string => typeof v === 'string');


/** The form's details of a neighbourhood (or a layer of them), each problem against its field as the GOV.UK error summary expects. */
export function readDetails(form: Form, noun: 'neighbourhood' | 'layer' = 'neighbourhood'): { details: NeighbourhoodDetails; errors: FormErrors; fail: Fail } {
  const { errors, fail } = formProblems();
  const name = text(form, 'name');
  if (!name) fail('name', `Enter a name for the ${noun}`);
  else if (name.length > 120) fail('name', 'The name must be 120 characters or fewer');
  // PostgreSQL text cannot hold a NUL character: refused on the form rather than failing when saved.
  else if (name.includes('\0')) fail('name', 'The name must not contain a NUL character');
  const purpose = text(form, 'purpose') as NeighbourhoodDetails['purpose'];
  if (!neighbourhoodPurposes.includes(purpose)) fail('purpose', `Choose what the ${noun} is for`);
  const sharing = text(form, 'sharing') as NeighbourhoodDetails['sharing'];
  if (!(sharingLevels as readonly string[]).includes(sharing)) fail('sharing', 'Choose who may see it');
  const description = text(form, 'description');
  if (description.length > 2000) fail('description', 'The description must be 2,000 characters or fewer');
  else if (description.includes('\0')) fail('description', 'The description must not contain a NUL character');
  return { details: { name, purpose, sharing, description: description || null }, errors, fail };
}

/**
 * The shape a make or redraw form asks for: ticked or pasted members, an uploaded file or a drawing. What
 * can be checked at once is added to the form's problems; `read` does the rest (reading and repairing a
 * boundary in PostGIS) only once the whole form is otherwise fine, and `fieldFor` says where its refusals go.
 */
function chooseShape(form: Form, fail: Fail, database: Db): { fieldFor: (error: BoundaryUploadError | NeighbourhoodError) => string; read: () => Promise<{ shape: Shape; repaired: boolean }> } {
  const how = text(form, 'how');
  if (how === 'upload' || how === 'draw') {
    const drawn = how === 'draw';
    const field = drawn ? 'drawn' : 'file';
    const bytes = drawn ? Buffer.from(text(form, 'drawn')) : Buffer.isBuffer(form.file) ? form.file : Buffer.alloc(0);
    if (!bytes.length) fail(field, drawn ? 'Draw the boundary on the map: at least three corners' : 'Choose a GeoJSON file or a zipped shapefile');
    return {
      fieldFor: () => field,
      read: async () => {
        // The file's kind from its first bytes: a zip is a shapefile, anything else is read as GeoJSON.
        const upload = await readBoundaryUpload(bytes, bytes[0] === 0x50 && bytes[1] === 0x4b ? 'boundary.zip' : 'boundary.geojson');
        const boundary = await toValidBoundary(database, upload.geometry, upload.srid);
        const shape: Shape = { method: drawn ? 'drawn' : 'uploaded', geoJson: JSON.stringify(boundary.geojson), repairNote: boundary.repaired ? boundary.repairs.map((r) => r.message).join('; ') : null };
        return { shape, repaired: boundary.repaired };
      },
    };
  }
  const geography = text(form, 'geography') as MemberGeography;
  const codes = [...list(form, 'codes'), ...text(form, 'pasted').split(/[\s,;]+/)].map((c) => c.trim().toUpperCase()).filter(Boolean);
  if (!Object.hasOwn(memberGeographies, geography)) fail('geography', 'Choose wards or LSOAs');
  else if (!codes.length) fail('codes', 'Tick at least one area, or paste their codes');
  return {
    fieldFor: (error) => (error instanceof NeighbourhoodError ? error.field : 'codes'),
    read: async () => ({ shape: { method: memberGeographies[geography].level === 'ward' ? 'wards' : 'lsoas', geography, codes }, repaired: false }),
  };
}

/** The redraw page for a neighbourhood, for a visitor the redraw route would let in (members of its owner and up, site admins); else null. */
async function redrawHrefFor(database: Db, user: SessionUser | null, neighbourhood: { id: string; ownerSlug: string }): Promise<string | null> {
  const decision = await decide(database, access.organisation('member'), user, { slug: neighbourhood.ownerSlug });
  return decision.outcome === 'allow' ? `/organisations/${encodeURIComponent(neighbourhood.ownerSlug)}/neighbourhoods/${neighbourhood.id}/versions/new` : null;
}

export const neighbourhoodRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const slugParams = z.object({ slug: z.string() });
  const newQuery = z.object({
    geography: z.enum(Object.keys(memberGeographies) as [MemberGeography, ...MemberGeography[]], { message: 'Choose wards or LSOAs' }).default('ward25'),
    lad: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^E0[6-9]\d{6}$/, 'Enter a district code such as E08000035')
      .optional()
      .or(z.literal('').transform(() => undefined)),
  });

  /** The make form, or with `redraw` the same ways of giving a shape as a new version of a neighbourhood, with a note of what changed. */
  const renderNew = async (reply: FastifyReply, org: { slug: string; name: string }, values: Form, errors?: FormErrors, redraw?: { id: string; name: string }) => {
    const geography = (text(values, 'geography') || 'ward25') as MemberGeography;
    const lad = text(values, 'lad').toUpperCase();
    const { lsoaVintage, level } = memberGeographies[geography] ?? memberGeographies.ward25;
    // The areas of the chosen district, to tick: a ward's LSOAs lead to the ward through the lookup.
    const areas = /^E0[6-9]\d{6}$/.test(lad)
      ? await queryRows<{ code: string; name: string }>(
          db(),
          level === 'lsoa'
            ? sql`select distinct a.code, a.name from area_lookups d join areas a on a.vintage = d.from_vintage and a.code = d.from_code
                  where d.from_vintage = ${lsoaVintage} and d.to_code = ${lad} order by a.name`
            : sql`select distinct a.code, a.name from area_lookups d
                  join area_lookups w on w.from_vintage = d.from_vintage and w.from_code = d.from_code and w.to_vintage = ${geography}
                  join areas a on a.vintage = w.to_vintage and a.code = w.to_code
                  where d.from_vintage = ${lsoaVintage} and d.to_code = ${lad} order by a.name`,
        )
      : [];
    const chosen = new Set(list(values, 'codes'));
    // Chosen codes the district's list does not show (a redraw's current members when no district, or
    // another, is chosen) go in the box for pasted codes, so none is dropped without being seen.
    const listed = new Set(areas.map((a) => a.code));
    const pasted = [text(values, 'pasted'), ...[...chosen].filter((c) => !listed.has(c))].filter(Boolean).join(' ');
    // The drawing map: 2021 LSOA outlines for reference, framed on the district when one is chosen.
    const tiles = tileServiceFor(app.database);
    const outlines = await tiles.resolve('lsoa21');
    const [box] = outlines
      ? await queryRows<{ w: number | null; s: number | null; e: number | null; n: number | null }>(
          db(),
          sql`select ST_XMin(b) as w, ST_YMin(b) as s, ST_XMax(b) as e, ST_YMax(b) as n from (select ST_Extent(a.boundary) as b from area_lookups l join areas a on a.vintage = l.from_vintage and a.code = l.from_code
              where l.from_vintage = 'lsoa21' and l.to_code = ${/^E0[6-9]\d{6}$/.test(lad) ? lad : ''}) x`,
        )
      : [];
    const drawMap = outlines
      ? { tiles: `/tiles/lsoa21/{z}/{x}/{y}.mvt?v=${encodeURIComponent(await tiles.version(outlines))}`, layer: 'lsoa21', bounds: (box && box.w !== null ? [box.w, box.s, box.e, box.n] : [-6.42, 49.86, 1.77, 55.81]).map((v) => Number(v).toFixed(4)).join(',') }
      : null;
    return reply.page(
      'neighbourhoods/views/new.njk',
      {
        pageTitle: redraw ? `Redraw ${redraw.name}` : 'Make a neighbourhood',
        org,
        redraw,
        action: redraw ? `/organisations/${org.slug}/neighbourhoods/${redraw.id}/versions/new` : `/organisations/${org.slug}/neighbourhoods`,
        findAction: redraw ? `/organisations/${org.slug}/neighbourhoods/${redraw.id}/versions/new` : `/organisations/${org.slug}/neighbourhoods/new`,
        values: { ...Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v === 'string')), pasted },
        how: text(values, 'how') || 'members',
        drawMap,
        howItems: [
          { value: 'members', text: 'From the wards or LSOAs chosen above', checked: (text(values, 'how') || 'members') === 'members' },
          { value: 'upload', text: 'From a boundary file', checked: text(values, 'how') === 'upload' },
          { value: 'draw', text: 'From the boundary drawn on the map', checked: text(values, 'how') === 'draw' },
        ],
        errors,
        geography,
        lad,
        ladProblem: lad && !/^E0[6-9]\d{6}$/.test(lad) ? 'Enter a district code such as E08000035' : lad && !areas.length ? `${lad} has no ${memberGeographies[geography].label.toLowerCase()} in Patchwork` : null,
        areaItems: areas.map((a) => ({ value: a.code, text: `${a.name} (${a.code})`, checked: chosen.has(a.code) })),
        geographyItems: Object.entries(memberGeographies).map(([value, g]) => ({ value, text: g.label, selected: value === geography })),
        purposeItems: [{ value: '', text: 'Choose' }, ...neighbourhoodPurposes.map((p) => ({ value: p, text: purposeText[p], selected: values.purpose === p }))],
        sharingItems: sharingLevels.map((s) => ({ value: s, text: sharingText[s], checked: (text(values, 'sharing') || 'organisation') === s })),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/neighbourhoods/new', { config: { access: access.organisation('member') }, schema: { params: slugParams, querystring: newQuery } }, async (request, reply) =>
    renderNew(reply, request.organisation!, { geography: request.query.geography, lad: request.query.lad ?? '' }),
  );

  app.post(
    '/organisations/:slug/neighbourhoods',
    { config: { access: access.organisation('member') }, schema: { params: slugParams, body: z.record(z.string(), z.unknown()) }, attachValidation: true },
    async (request, reply) => {
      const org = request.organisation!;
      const form = (request.body ?? {}) as Form;
      const { details, errors, fail } = readDetails(form);
      const choice = chooseShape(form, fail, db());
      if (errors.summary.length) return renderNew(reply, org, form, errors);
      try {
        const { shape, repaired } = await choice.read();
        const id = await createNeighbourhood(db(), details, shape, { organisationId: org.id, userId: request.user?.id ?? null }, actorOf(request));
        return reply.flash(`${details.name} has been made${repaired ? ' (its boundary was repaired: see its page)' : ''}.`).redirect(`/neighbourhoods/${id}`, 303);
      } catch (error) {
        if (!(error instanceof BoundaryUploadError) && !(error instanceof NeighbourhoodError)) throw error;
        return renderNew(reply, org, form, fieldError(choice.fieldFor(error), error.message));
      }
    },
  );

  const versionParams = z.object({ slug: z.string(), neighbourhoodId: z.uuid('Not a neighbourhood address') });
  /** The neighbourhood if this organisation owns it, with its current version's members (to start a redraw from). */
  const ownedNeighbourhood = async (organisationId: string, id: string) =>
    (
      await queryRows<{ id: string; name: string; member_vintage: string | null; member_codes: string[] | null }>(
        db(),
        sql`select n.id, n.name, v.member_vintage, v.member_codes from neighbourhoods n
            join neighbourhood_versions v on v.neighbourhood_id = n.id and v.version = n.current_version
            where n.id = ${id} and n.owner_organisation_id = ${organisationId}`,
      )
    )[0];

  // A new version of a neighbourhood, made any of the three ways. Another organisation's neighbourhood (or
  // none) is not found, the same answer either way, so its members cannot redraw it or learn it exists.
  app.get(
    '/organisations/:slug/neighbourhoods/:neighbourhoodId/versions/new',
    { config: { access: access.organisation('member') }, schema: { params: versionParams, querystring: newQuery.extend({ geography: newQuery.shape.geography.unwrap().optional() }) } },
    async (request, reply) => {
      const neighbourhood = await ownedNeighbourhood(request.organisation!.id, request.params.neighbourhoodId);
      if (!neighbourhood) return reply.callNotFound();
      const current = neighbourhood.member_vintage && Object.hasOwn(memberGeographies, neighbourhood.member_vintage) ? neighbourhood.member_vintage : null;
      const geography = request.query.geography ?? current ?? 'ward25';
      // Start from the current members when it was built from areas of this geography, so a redraw can be a small change.
      const codes = geography === current ? (neighbourhood.member_codes ?? []) : [];
      return renderNew(reply, request.organisation!, { geography, lad: request.query.lad ?? '', codes }, undefined, neighbourhood);
    },
  );

  app.post(
    '/organisations/:slug/neighbourhoods/:neighbourhoodId/versions/new',
    { config: { access: access.organisation('member') }, schema: { params: versionParams, body: z.record(z.string(), z.unknown()) }, attachValidation: true },
    async (request, reply) => {
      const org = request.organisation!;
      if (request.validationError?.validationContext === 'params') return reply.callNotFound();
      const neighbourhood = await ownedNeighbourhood(org.id, request.params.neighbourhoodId);
      if (!neighbourhood) return reply.callNotFound();
      const form = (request.body ?? {}) as Form;
      const { errors, fail } = formProblems();
      const choice = chooseShape(form, fail, db());
      const note = text(form, 'note');
      if (!note) fail('note', 'Say what changed and why, for the list of versions');
      else if (note.length > 2000) fail('note', 'What changed must be 2,000 characters or fewer');
      if (errors.summary.length) return renderNew(reply, org, form, errors, neighbourhood);
      try {
        const { shape, repaired } = await choice.read();
        const version = await addVersion(db(), neighbourhood.id, shape, request.user?.id ?? null, note, actorOf(request));
        return reply.flash(`${neighbourhood.name} is now version ${version}${repaired ? ' (its boundary was repaired: see below)' : ''}.`).redirect(`/neighbourhoods/${neighbourhood.id}`, 303);
      } catch (error) {
        if (!(error instanceof BoundaryUploadError) && !(error instanceof NeighbourhoodError)) throw error;
        return renderNew(reply, org, form, fieldError(choice.fieldFor(error), error.message), neighbourhood);
      }
    },
  );

  app.get('/neighbourhoods', { config: { access: access.public }, schema: { querystring: z.object({ q: z.string().max(100, 'Search for 100 characters or fewer').optional() }) } }, async (request, reply) => {
    const viewer = await viewerOf(db(), request.user);
    return reply.page('neighbourhoods/views/list.njk', {
      pageTitle: 'Neighbourhoods',
      q: request.query.q ?? '',
      neighbourhoods: (await visibleNeighbourhoods(db(), viewer, request.query.q, await findEdition(db(), undefined))).map((n) => ({ ...n, purposeText: purposeText[n.purpose] })),
      layers: (await visibleLayers(db(), viewer)).map((l) => ({ ...l, purposeText: purposeText[l.purpose] })),
      makeFor: await organisationsOf(viewer),
    });
  });

  const organisationsOf = async (viewer: Viewer) =>
    viewer.organisationIds.length
      ? queryRows<{ slug: string; name: string }>(db(), sql`select slug, name from organisations where id in (${sql.join(viewer.organisationIds.map((id) => sql`${id}::uuid`), sql`, `)}) order by name`)
      : [];

  app.get(
    '/neighbourhoods/:neighbourhoodId',
    {
      config: { access: access.public, pageCache: true },
      schema: {
        params: z.object({ neighbourhoodId: z.uuid('Not a neighbourhood address') }),
        querystring: z.object({
          edition: editionParam.optional(),
          domain: domainKey.default('imd'),
          version: z.coerce.number({ message: 'The version must be a number' }).int().min(1, 'The version must be 1 or more').optional(),
          format: z.enum(['html', 'csv'], { message: 'Format must be html or csv' }).default('html'),
        }),
      },
    },
    async (request, reply) => {
      const viewer = await viewerOf(db(), request.user);
      const neighbourhood = await findNeighbourhood(db(), viewer, request.params.neighbourhoodId);
      // Not there, or not shared with this visitor: the same answer, so its existence does not leak.
      if (!neighbourhood) return reply.callNotFound();
      const editions = await listEditions(db());
      const edition = await findEdition(db(), request.query.edition);
      if (!edition) return reply.callNotFound();
      const versions = await versionsOf(db(), neighbourhood.id);
      const version = versions.find((v) => v.version === (request.query.version ?? neighbourhood.currentVersion));
      if (!version) return reply.callNotFound();
      const profile = await neighbourhoodProfile(db(), version.id, edition);
      const domain = request.query.domain;
      if (request.query.format === 'csv') {
        return sendCsv(
          reply,
          `neighbourhood-${neighbourhood.id}-v${version.version}-${edition.id}.csv`,
          stringify(
            profile.lsoas.map((l) => ({
              neighbourhood: neighbourhood.name,
              version: version.version,
              edition: edition.id,
              lsoa: l.code,
              name: l.name,
              share: l.share,
              areaShare: l.areaShare,
              method: l.method,
              population: l.population,
              populationCounted: l.counted,
              ...Object.fromEntries(domains.map((d) => [`${d.key}Decile`, l.domains[d.key]?.decile ?? null])),
            })),
            { header: true },
          ),
        );
      }
      const chosen = profile.domains.find((d) => d.key === domain)!;
      const districtTotal = profile.mainDistrict ? profile.mainDistrict.peopleByDecile.reduce((a, b) => a + b, 0) : 0;
      const domainLabel = chosen.label;
      const values = new Map<string, MapValue>(
        profile.lsoas.map((l) => {
          const decile = l.domains[domain]?.decile ?? null;
          // Bands run from 1, the worst tenth, as national deciles do.
          return [l.code, { band: decile, text: `${l.name} (${l.code}): decile ${decile ?? 'unknown'}, ${Math.round(l.share * 100)}% counted (${apportionmentText[l.method]})` }];
        }),
      );
      return reply.page('neighbourhoods/views/show.njk', {
        pageTitle: `${neighbourhood.name}: ${domainLabel}, ${edition.label}`,
        neighbourhood,
        purposeText: purposeText[neighbourhood.purpose],
        sharingText: sharingText[neighbourhood.sharing],
        version,
        versions,
        redrawHref: await redrawHrefFor(db(), request.user, neighbourhood),
        methodText: methodText[version.method],
        edition,
        profile,
        domainLabel,
        domain,
        apportionmentText,
        counted: profile.lsoas.filter((l) => l.share > 0).length,
        partial: profile.lsoas.filter((l) => l.share > 0 && l.share < 1).length,
        chart: decileChartSvg({
          id: 'deciles',
          title: `${neighbourhood.name}: share of its people in each national decile of the ${domainLabel}, ${edition.label}`,
          counts: chosen.peopleByDecile.map((n) => Math.round(n)),
          comparison: profile.mainDistrict && districtTotal ? { label: profile.mainDistrict.name, shares: profile.mainDistrict.peopleByDecile.map((n) => n / districtTotal) } : undefined,
        }),
        editionItems: editions.map((e) => ({ value: e.id, text: e.label, selected: e.id === edition.id })),
        domainItems: domains.map((d) => ({ value: d.key, text: d.label, selected: d.key === domain })),
        csvHref: `/neighbourhoods/${neighbourhood.id}?edition=${edition.id}&version=${version.version}&format=csv`,
        map: await valuesMapView(app.database, edition.lsoaVintage, values, { lsoaVintage: edition.lsoaVintage, link: `/areas/{code}?edition=${edition.id}`, legendTitle: 'national decile', worst: 'most deprived', best: 'least deprived' }),
        mapLabel: `Map of the LSOAs ${neighbourhood.name} covers, coloured by national decile of the ${domainLabel}, ${edition.label}`,
        localData: await neighbourhoodLocalData(db(), viewer, version.id),
        indexPositions: await neighbourhoodIndexPositions(db(), viewer, version.id, edition),
        // Published community voice campaigns with responses in the version shown.
        residents: await residentsSaid(db(), { kind: 'neighbourhood', id: neighbourhood.id, name: neighbourhood.name, versionId: version.id }, app.config.suppressionThreshold),
        // Suppressed counts of people supported here: only for signed-in members of an organisation, never cached.
        supported: await peopleSupported(db(), viewer, { kind: 'neighbourhood', id: neighbourhood.id, name: neighbourhood.name, versionId: version.id }, app.config.suppressionThreshold),
        // Partnerships' published stories tagged to this neighbourhood.
        stories: await storiesFor(db(), { area: { vintage: 'neighbourhood', code: neighbourhood.id }, publishedOnly: true }),
      });
    },
  );
};
