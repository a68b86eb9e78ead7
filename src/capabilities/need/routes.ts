import { stringify } from 'csv-stringify/sync';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, viewerOf, type Viewer } from '../../platform/auth/permissions.ts';
import { domains } from '../indicators/iod-import.ts';
import { areaCode, domainKey, editionParam, sendCsv } from '../indicators/routes.ts';
import { comparabilityCaveat, findEdition, levelOf, listEditions, type Edition } from '../indicators/service.ts';
import { positionsIn } from '../composite-index/service.ts';
import { findLocalIndicator, localDataForArea, valuesForAreas, visibleLocalIndicators, type AreaValue, type LocalIndicator } from '../local-data/service.ts';
import { mapView } from '../maps/view.ts';
import { residentsSaid } from '../community-voice/profile.ts';
import { peopleSupported } from '../supporting-people/profile.ts';
import { storiesFor } from '../impact/stories.ts';
import { decileChartSvg, decileColours } from './charts.ts';
import { profilePdf, type ProfileExtras } from './pdf.ts';
import { applyState, filters, memberTable, profile, sorts, tableThen, type MemberRow, type Profile, type MemberTable, type TableState, type Then } from './service.ts';

/** A select's "none" option sends an empty value, which means the same as leaving the field out. */
const blankIsAbsent = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);

const pageQuery = z.object({
  edition: editionParam.optional(),
  domain: domainKey.default('imd'),
  filter: z.enum(filters, { message: 'Choose which areas to show: all, the most deprived 10%, the most deprived 1%, or a range of deciles' }).default('all'),
  from: z.coerce.number({ message: 'The first decile must be a number from 1 to 10' }).int().min(1, 'The first decile must be from 1 to 10').max(10, 'The first decile must be from 1 to 10').default(1),
  to: z.coerce.number({ message: 'The last decile must be a number from 1 to 10' }).int().min(1, 'The last decile must be from 1 to 10').max(10, 'The last decile must be from 1 to 10').default(10),
  sort: z.enum(sorts, { message: `Sort by one of: ${sorts.join(', ')}` }).default('rank'),
  dir: z.enum(['asc', 'desc'], { message: 'Order must be asc or desc' }).default('asc'),
  show: z.enum(['wards', 'lsoas'], { message: 'Show wards or lsoas' }).default('wards'),
  local: blankIsAbsent(z.string().regex(/^local\.[0-9a-f-]{36}$/, 'local must be the id of a local indicator, such as local.2f6c…').optional()).describe('a local indicator to show beside the index'),
  since: blankIsAbsent(editionParam.optional()).describe('another edition to compare with: adds each row’s decile then and its movement'),
  format: z.enum(['html', 'csv'], { message: 'Format must be html or csv' }).default('html'),
});
type PageQuery = z.infer<typeof pageQuery>;

const levelNames = { lad: ['district', 'districts'], ward: ['ward', 'wards'], lsoa: ['LSOA', 'LSOAs'] } as const;
const domainLabel = (key: string) => domains.find((d) => d.key === key)?.label ?? key;

/** The page's address with some of its state changed; defaults are left out so addresses stay short. */
function linkTo(path: string, query: PageQuery, changes: Partial<PageQuery> = {}): string {
  const defaults = pageQuery.parse({});
  const state = { ...query, ...changes };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) {
    if (v !== undefined && v !== (defaults as Record<string, unknown>)[k]) params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** How a local figure was made for a row, when not as uploaded. */
function localMethod(value: AreaValue | undefined): string {
  if (!value || value.method === 'as uploaded') return '';
  return `${value.method === 'sum' ? 'sum' : 'population-weighted'} of ${value.covered} of ${value.of} LSOAs`;
}

/** How far a row moved between editions, in words: deciles run from 1 (most deprived) to 10. */
function movementText(then: Then | undefined): string {
  if (!then) return '';
  if (then.note && then.movement === null) return then.note;
  if (then.movement === null) return 'no figure to compare';
  const size = Math.abs(then.movement);
  const text = then.movement === 0 ? 'same decile' : `${then.movement > 0 ? 'up' : 'down'} ${size} decile${size === 1 ? '' : 's'} (${then.movement > 0 ? 'less' : 'more'} deprived)`;
  return then.note ? `${text}; ${then.note}` : text;
}

type Comparison = { edition: Edition; rows: Map<string, Then> };
type LocalColumn = { indicator: LocalIndicator; values: Map<string, AreaValue> };

const withLocal = (table: MemberTable, local: LocalColumn | null): MemberTable =>
  local ? { ...table, rows: table.rows.map((r) => ({ ...r, localValue: local.values.get(r.code)?.value ?? null })) } : table;

function membersCsv(rows: MemberRow[], table: MemberTable, edition: Edition, domain: string, comparison?: Comparison, local?: LocalColumn): string {
  const aggregate = table.level !== 'lsoa';
  return stringify(
    rows.map((r) => ({
      code: r.code,
      name: r.name,
      edition: edition.id,
      index: domain,
      population: r.population,
      ...(aggregate ? { lsoas: r.lsoaCount, averageScore: r.score, rankOfAverageScore: r.rank, outOf: table.peers } : { score: r.score, rank: r.rank, outOf: table.peers }),
      decile: r.decile,
      lsoasInMostDeprived10pct: r.lsoasInDecile1,
      lsoasInMostDeprived1pct: r.lsoasInTop1pct,
      ...(local ? { [`${local.indicator.label} (${local.indicator.unit}, ${local.indicator.period})`]: r.localValue ?? null } : {}),
      ...(comparison
        ? {
            comparedWith: comparison.edition.id,
            rankThen: comparison.rows.get(r.code)?.rank ?? null,
            decileThen: comparison.rows.get(r.code)?.decile ?? null,
            decileMovement: comparison.rows.get(r.code)?.movement ?? null,
            change: movementText(comparison.rows.get(r.code)),
          }
        : {}),
    })),
    { header: true },
  );
}

/** What the members table and its filter form need, shared by England's page and every area's. */
function tableView(path: string, query: PageQuery, table: MemberTable, editions: Edition[], edition: Edition, options: { canShowLsoas: boolean; comparison?: Comparison; local?: LocalColumn; localIndicators: LocalIndicator[] }) {
  const state: TableState = { domain: query.domain, filter: query.filter, from: query.from, to: query.to, sort: query.sort, dir: query.dir };
  const rows = applyState(table, state);
  const [singular, plural] = levelNames[table.level];
  const sortLink = (sort: (typeof sorts)[number]) => ({
    href: linkTo(path, query, { sort, dir: query.sort === sort && query.dir === 'asc' ? 'desc' : 'asc' }),
    ariaSort: query.sort === sort ? (query.dir === 'asc' ? 'ascending' : 'descending') : 'none',
  });
  return {
    rows: rows.map((r) => ({
      ...r,
      href: linkTo(`/areas/${r.code}`, query, { filter: undefined, from: undefined, to: undefined, sort: undefined, dir: undefined, show: undefined }),
      colour: r.decile ? decileColours[r.decile - 1] : null,
      then: options.comparison?.rows.get(r.code),
      change: movementText(options.comparison?.rows.get(r.code)),
    })),
    since: options.comparison?.edition ?? null,
    sinceItems: [{ value: '', text: 'No comparison', selected: !options.comparison }, ...editions.filter((e) => e.id !== edition.id).map((e) => ({ value: e.id, text: e.label, selected: e.id === options.comparison?.edition.id }))],
    total: table.rows.length,
    level: table.level,
    singular,
    plural,
    peers: table.peers,
    aggregate: table.level !== 'lsoa',
    query,
    domainLabel: domainLabel(query.domain),
    editionItems: editions.map((e) => ({ value: e.id, text: e.label, selected: e.id === edition.id })),
    domainItems: domains.map((d) => ({ value: d.key, text: d.label, selected: d.key === query.domain })),
    decileItems: (selected: number) => Array.from({ length: 10 }, (_, i) => ({ value: String(i + 1), text: String(i + 1), selected: i + 1 === selected })),
    sortLinks: { rank: sortLink('rank'), name: sortLink('name'), population: sortLink('population'), decile1: sortLink('decile1'), local: sortLink('local') },
    local: options.local ? { indicator: options.local.indicator, method: (code: string) => localMethod(options.local!.values.get(code)) } : null,
    localItems: [{ value: '', text: 'None', selected: !options.local }, ...options.localIndicators.map((i) => ({ value: i.id, text: `${i.label}, ${i.period}`, selected: i.id === options.local?.indicator.id }))],
    csvHref: linkTo(path, query, { format: 'csv' }),
    canShowLsoas: options.canShowLsoas,
    legend: decileColours.map((colour, i) => ({ colour, decile: i + 1 })),
  };
}

export const needRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  /**
   * The local indicator a page asked to show beside the index, with its values for the table's rows: null
   * when none was asked for, undefined when it does not exist or is not shared with this visitor.
   */
  const localColumn = async (viewer: Viewer, query: PageQuery, edition: Edition, table: MemberTable): Promise<LocalColumn | null | undefined> => {
    if (!query.local) return null;
    const indicator = await findLocalIndicator(db(), viewer, query.local);
    if (!indicator) return undefined;
    return { indicator, values: await valuesForAreas(db(), indicator, edition, table.level, table.rows.map((r) => r.code)) };
  };
  const noLocal = (reply: FastifyReply, id: string) =>
    reply.page('error.njk', { pageTitle: 'Local indicator not found', linkHref: '/indicators', linkText: 'Local data shared with you', paragraphs: [`No local indicator ${id} is shared with you. Choose one from the list of local data.`] }, 404);

  /** The local data and composite indexes shared with this visitor that a profile shows, on the page and in the PDF. */
  const profileExtras = async (viewer: Viewer, edition: Edition, area: Profile): Promise<ProfileExtras> => ({
    localData: await localDataForArea(db(), viewer, edition, area.level, area.code),
    indexPositions: await positionsIn(db(), viewer, edition, { level: area.level, code: area.code, ladCode: area.parents.find((p) => p.vintage === edition.ladVintage)?.code ?? null }),
  });

  /** The "change since" comparison a page asked for (routes have already refused an edition that is not loaded). */
  const compare = async (query: PageQuery, editions: Edition[], edition: Edition, table: MemberTable, within?: { level: 'lad' | 'ward'; code: string }): Promise<Comparison | undefined> => {
    const since = editions.find((e) => e.id === query.since && e.id !== edition.id);
    return since ? { edition: since, rows: await tableThen(db(), table, since, edition, query.domain, within) } : undefined;
  };

  const noData = (reply: FastifyReply, id?: string) =>
    reply.page(
      'error.njk',
      {
        pageTitle: id ? 'Edition not found' : 'No data loaded yet',
        linkHref: '/about/data',
        linkText: 'About the data',
        paragraphs: id ? [`No edition "${id}" is loaded. Choose one of the editions listed on the About the data page.`] : ['No edition of the Indices of Deprivation is loaded yet. An administrator can load the bundled data with: npx patchwork import bundled'],
      },
      404,
    );

  app.get('/areas', { config: { access: access.public, pageCache: true }, schema: { querystring: pageQuery } }, async (request, reply) => {
    const query = request.query;
    const edition = await findEdition(db(), query.edition);
    if (!edition) return noData(reply, query.edition);
    const editions = await listEditions(db());
    if (query.since && !editions.some((e) => e.id === query.since)) return noData(reply, query.since);
    const viewer = await viewerOf(db(), request.user);
    const plain = await memberTable(db(), edition, query.domain);
    const local = await localColumn(viewer, query, edition, plain);
    if (local === undefined) return noLocal(reply, query.local!);
    const table = withLocal(plain, local);
    const comparison = await compare(query, editions, edition, table);
    const view = tableView('/areas', query, table, editions, edition, { canShowLsoas: false, comparison, local: local ?? undefined, localIndicators: await visibleLocalIndicators(db(), viewer) });
    if (query.format === 'csv') return sendCsv(reply, `${edition.id}-${query.domain}-districts.csv`, membersCsv(applyState(table, { ...query }), table, edition, query.domain, comparison, local ?? undefined));
    return reply.page('need/views/areas.njk', {
      pageTitle: `Where need is greatest in England: ${view.domainLabel}, ${edition.label}`,
      edition,
      table: view,
      caveat: comparabilityCaveat,
      map: await mapView(app.database, edition, query.domain, undefined, { property: 'lad', label: 'districts', rows: applyState(table, query) }),
      mapLabel: `Map of England coloured by each district’s decile of the ${view.domainLabel}, ${edition.label} (or by each LSOA’s national decile)`,
    });
  });

  app.get(
    '/areas/:code/profile.pdf',
    { config: { access: access.public }, schema: { params: z.object({ code: areaCode }), querystring: pageQuery.pick({ edition: true, domain: true }) } },
    async (request, reply) => {
      const edition = await findEdition(db(), request.query.edition);
      if (!edition) return noData(reply, request.query.edition);
      const area = await profile(db(), edition, request.params.code, request.query.domain);
      if (!area) return reply.page('error.njk', { pageTitle: 'Area not found', linkHref: '/areas', linkText: 'Start from England', paragraphs: [`${request.params.code} is not an area of ${edition.label}.`] }, 404);
      const pageUrl = linkTo(`/areas/${area.code}`, { ...pageQuery.parse({}), edition: edition.id, domain: request.query.domain });
      const viewer = await viewerOf(db(), request.user);
      const pdf = await profilePdf(area, domainLabel(request.query.domain), `${request.protocol}://${request.host}${pageUrl}`, await profileExtras(viewer, edition, area));
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${area.code}-${edition.id}-${request.query.domain}.pdf"`)
        .send(pdf);
    },
  );

  app.get('/areas/:code', { config: { access: access.public, pageCache: true }, schema: { params: z.object({ code: areaCode }), querystring: pageQuery } }, async (request, reply) => {
    const query = request.query;
    const edition = await findEdition(db(), query.edition);
    if (!edition) return noData(reply, query.edition);
    const area = await profile(db(), edition, request.params.code, query.domain);
    if (!area) {
      return reply.page(
        'error.njk',
        { pageTitle: 'Area not found', linkHref: '/areas', linkText: 'Start from England', paragraphs: [`${request.params.code} is not an area of ${edition.label}. Codes change between editions: ${levelOf(request.params.code) === 'ward' ? 'ward codes follow the boundaries of the edition’s year' : 'IoD2025 uses 2021 LSOAs'}. Try another edition, or start from England.`] },
        404,
      );
    }
    const path = `/areas/${area.code}`;
    const within = area.level === 'lsoa' ? undefined : { level: area.level, code: area.code };
    const viewer = await viewerOf(db(), request.user);
    const plain = within ? await memberTable(db(), edition, query.domain, within, area.level === 'lad' ? query.show : 'lsoas') : null;
    const local = plain ? await localColumn(viewer, query, edition, plain) : null;
    if (local === undefined) return noLocal(reply, query.local!);
    const table = plain && withLocal(plain, local);
    const editions = await listEditions(db());
    if (query.since && !editions.some((e) => e.id === query.since)) return noData(reply, query.since);
    const comparison = table ? await compare(query, editions, edition, table, within) : undefined;
    if (query.format === 'csv') {
      if (!table) return reply.page('error.njk', { pageTitle: 'Nothing to download', paragraphs: ['An LSOA has no smaller areas within it. Download its figures from its ward or district.'] }, 400);
      return sendCsv(reply, `${edition.id}-${query.domain}-${area.code}-${table.level}s.csv`, membersCsv(applyState(table, { ...query }), table, edition, query.domain, comparison, local ?? undefined));
    }
    // Local data shared with this visitor, at this area's geography or rolled up to it from LSOAs.
    const localIndicators = await visibleLocalIndicators(db(), viewer);
    const { localData, indexPositions } = await profileExtras(viewer, edition, area);
    const share = (counts: number[], total: number) => counts.map((n) => (total ? n / total : 0));
    const chart = decileChartSvg({
      id: 'deciles',
      title: `${area.name}: share of LSOAs in each national decile of the ${domainLabel(query.domain)}, ${edition.label}`,
      counts: area.decileCounts,
      comparison: area.parentLad && area.level !== 'lad' ? { label: area.parentLad.name, shares: share(area.parentLad.decileCounts, area.parentLad.lsoaCount) } : undefined,
    });
    const breadcrumbs = [{ text: 'England', href: linkTo('/areas', query, { show: undefined }) }, ...area.parents.filter((p) => p.vintage === edition.ladVintage || p.vintage === edition.wardVintage).sort((a) => (a.vintage === edition.ladVintage ? -1 : 1)).map((p) => ({ text: p.name, href: linkTo(`/areas/${p.code}`, query, { show: undefined }) }))];
    return reply.page('need/views/area.njk', {
      pageTitle: `${area.name}: ${domainLabel(query.domain)}, ${edition.label}`,
      area,
      levelName: levelNames[area.level][0],
      edition,
      domainLabel: domainLabel(query.domain),
      chart,
      deciles: area.decileCounts.map((n, i) => ({
        decile: i + 1,
        count: n,
        share: area.lsoaCount ? n / area.lsoaCount : 0,
        parentShare: area.parentLad ? (area.parentLad.lsoaCount ? (area.parentLad.decileCounts[i] ?? 0) / area.parentLad.lsoaCount : 0) : null,
      })),
      editionRows: area.editions.map((e) => ({ ...e, href: linkTo(path, query, { edition: e.edition.id }), current: e.edition.id === edition.id })),
      table: table ? tableView(path, query, table, editions, edition, { canShowLsoas: area.level === 'lad', comparison, local: local ?? undefined, localIndicators }) : null,
      filterItems: editions.map((e) => ({ value: e.id, text: e.label, selected: e.id === edition.id })),
      domainItems: domains.map((d) => ({ value: d.key, text: d.label, selected: d.key === query.domain })),
      breadcrumbs,
      localData,
      indexPositions,
      // Published community voice campaigns with responses here (wards and districts: responses keep 2025 codes).
      residents: area.level === 'lsoa' ? null : await residentsSaid(db(), { kind: area.level === 'lad' ? 'lad25' : 'ward25', code: area.code, name: area.name }, app.config.suppressionThreshold),
      // Suppressed counts of people supported here: only for signed-in members of an organisation, never cached.
      supported: area.level === 'lsoa' ? null : await peopleSupported(db(), viewer, { kind: area.level === 'lad' ? 'lad25' : 'ward25', code: area.code, name: area.name }, app.config.suppressionThreshold),
      // Partnerships' published stories tagged to this ward or district (by the edition's boundaries).
      stories: area.level === 'lsoa' ? [] : await storiesFor(db(), { area: { vintage: area.level === 'lad' ? edition.ladVintage : edition.wardVintage, code: area.code }, publishedOnly: true }),
      pdfHref: linkTo(`/areas/${area.code}/profile.pdf`, { ...pageQuery.parse({}), edition: edition.id, domain: query.domain }),
      caveat: comparabilityCaveat,
      map: await mapView(app.database, edition, query.domain, { level: area.level, code: area.code }, table ? { property: table.level === 'lsoa' ? 'code' : 'ward', label: levelNames[table.level][1], rows: applyState(table, query) } : undefined),
      mapLabel: table
        ? `Map of ${area.name} coloured by each of its ${levelNames[table.level][1]}’ decile of the ${domainLabel(query.domain)}, ${edition.label}`
        : `Map of LSOAs coloured by national decile of the ${domainLabel(query.domain)}, ${edition.label}, with ${area.name} picked out`,
    });
  });
};
