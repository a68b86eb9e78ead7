import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { spreadsheetCsv } from '../../platform/data/csv.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { sendCsv } from '../indicators/routes.ts';
import { bandOfRank, valuesMapView, type MapValue } from '../maps/view.ts';
import { localSpend, spendByNeighbourhood, spendChoices, changeInWords, type LocalSpend, type SpendPlace, type SpendScope } from './local-spend.ts';
import { localShareChartSvg } from './spend-charts.ts';
import { isIndividual, withheldName } from './supplier-names.ts';
import { financialYearDates } from './financial-years.ts';
import { money, neighbourhoodParams, neighbourhoodSpendPath, orgParams, isUuid, percent, read, shortMoney, sourcesPath, supplierPath, suppliersPath, wealthContext, wealthPath } from './web.ts';

/**
 * The local spend dashboards: where the organisation's spend lands, with its district (or one of its neighbourhoods)
 * as the place counted local. Read from the spend summary (local-spend.ts); the CSVs carry the same figures.
 */

const filterQuery = z.object({
  lad: z.string().max(20).optional(),
  from: z.string().max(20).optional(),
  to: z.string().max(20).optional(),
  department: z.string().max(500).optional(),
});
type Filters = z.infer<typeof filterQuery>;

/** The months a dashboard covers, in words: "April 2024 to March 2026". */
function periodInWords(from: string, to: string): string {
  const month = (iso: string) => new Date(`${iso.slice(0, 7)}-01T00:00:00Z`).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  return `${month(from)} to ${month(to)}`;
}

/**
 * The chosen years and department. Years must be financial years ("2024-25"); a department is passed on as it is
 * (one the spend does not have simply has no spend), so no scan of the summary is needed before the figures.
 */
function readFilters(query: Filters) {
  let from = financialYearDates(query.from) ? query.from! : null;
  let to = financialYearDates(query.to) ? query.to! : null;
  if (from && to && from > to) [from, to] = [to, from];
  const department = query.department?.trim() || null;
  return { from, to, department, scope: { from: financialYearDates(from)?.from ?? null, to: financialYearDates(to)?.to ?? null, department } };
}
type Chosen = ReturnType<typeof readFilters>;

/** The filters' choices, and the months the figures cover in words. The departments come from the figures when nothing narrows them. */
async function filterChoices(db: Db, organisationId: string, chosen: Chosen, spend: LocalSpend) {
  const narrowed = chosen.from || chosen.to || chosen.department;
  const choices = await spendChoices(db, organisationId, narrowed ? null : spend.byDepartment.map((d) => d.label));
  const fromDate = financialYearDates(chosen.from ?? choices.years[0])?.from;
  const toDate = financialYearDates(chosen.to ?? choices.years.at(-1))?.to;
  return {
    fromItems: [{ value: '', text: 'Earliest' }, ...choices.years.map((y) => ({ value: y, text: y, selected: y === chosen.from }))],
    toItems: [{ value: '', text: 'Latest' }, ...choices.years.map((y) => ({ value: y, text: y, selected: y === chosen.to }))],
    departmentItems: [{ value: '', text: 'All departments' }, ...choices.departments.map((d) => ({ value: d, text: d, selected: d === chosen.department }))],
    period: fromDate && toDate ? periodInWords(fromDate, toDate) : null,
  };
}

/** The home districts of the organisation's spend sources, by name. */
async function homeDistricts(db: Db, organisationId: string) {
  return queryRows<{ code: string; name: string }>(
    db,
    sql`select d.code, coalesce(a.name, d.code) as name from (select distinct home_lad25 as code from spend_sources where organisation_id = ${organisationId} and home_lad25 is not null) d
        left join areas a on a.vintage = 'lad25' and a.code = d.code order by 2`,
  );
}

/** Whether any of the organisation's spend files is sample data, so the pages say so. */
async function hasSampleData(db: Db, organisationId: string): Promise<boolean> {
  const [row] = await queryRows<{ sample: boolean }>(db, sql`select coalesce(bool_or(sample), false) as sample from spend_sources where organisation_id = ${organisationId}`);
  return Boolean(row?.sample);
}

/** The neighbourhoods the organisation may see: its own and those shared with it (the rule of canSee, for a member). */
const visibleToOrganisation = (organisationId: string) => sql`(n.sharing in ('public', 'partners') or n.owner_organisation_id = ${organisationId})`;

async function organisationNeighbourhoods(db: Db, organisationId: string) {
  return queryRows<{ id: string; name: string }>(db, sql`select n.id, n.name from neighbourhoods n where n.layer_id is null and ${visibleToOrganisation(organisationId)} order by n.name`);
}

async function findNeighbourhoodFor(db: Db, organisationId: string, id: string) {
  if (!isUuid(id)) return null;
  const [row] = await queryRows<{ id: string; name: string }>(db, sql`select n.id, n.name from neighbourhoods n where n.id = ${id} and ${visibleToOrganisation(organisationId)}`);
  return row ?? null;
}

const pounds = (pence: number) => (pence / 100).toFixed(2);
const splitCells = (section: string, r: { label: string; pence: number; localPence: number; localShare: number | null }) => [section, r.label, pounds(r.pence), pounds(r.localPence), percent(r.localShare)];

/** The breakdowns shared by both dashboards, as CSV rows: section, label, total £, local £, share. */
function breakdownRows(spend: LocalSpend): string[][] {
  return [
    ['All spend', 'All suppliers', pounds(spend.totalPence), pounds(spend.local.pence), percent(spend.local.share)],
    ['All spend', spend.placeUnknown.label, pounds(spend.placeUnknown.pence), '', percent(spend.placeUnknown.share)],
    ...(spend.deprived10 && spend.deprived20 ? [spend.deprived10, spend.deprived20].map((d) => ['All spend', d.label, pounds(d.pence), '', percent(d.share)]) : []),
    ...spend.byYear.map((y) => ['Financial year', y.period, pounds(y.totalPence), pounds(y.localPence), percent(y.share)]),
    ...spend.byKind.map((k) => splitCells('Kind of supplier', k)),
    ...spend.byDepartment.map((d) => splitCells('Department', d)),
    ...spend.byDecile.map((d) => [`IMD decile (${spend.decileEdition})`, d.label, pounds(d.pence), '', percent(d.share)]),
  ];
}
/** The local column names its place, so a saved file still says what "local" meant. */
const csvColumns = (place: string) => ['Section', 'Label', 'Total (£)', `With suppliers in ${place} (£)`, 'Share'];

/** What both dashboards show of one place's figures. */
function figures(spend: LocalSpend, place: string) {
  const kind = (k: string) => spend.byKind.find((r) => r.kind === k);
  return {
    spend,
    place,
    total: money(spend.totalPence),
    local: money(spend.local.pence),
    localShare: percent(spend.local.share),
    sme: kind('sme') ?? null,
    vcse: kind('vcse') ?? null,
    change: changeInWords(spend.byYear, shortMoney, place),
    chart: localShareChartSvg({ id: 'local-share-chart', title: `Share of spend with suppliers in ${place}, by financial year`, place, years: spend.byYear }),
    money,
    percent,
  };
}

export const spendRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  /** The district dashboard's place and figures, or the districts to choose from when there is none. */
  const district = async (request: FastifyRequest, query: Filters) => {
    const org = request.organisation!;
    const districts = await homeDistricts(db(), org.id);
    const chosen = districts.find((d) => d.code === query.lad?.toUpperCase()) ?? districts[0];
    if (!chosen) return null;
    const filters = readFilters(query);
    const scope: SpendScope = { organisationId: org.id, place: { lad25: chosen.code }, ...filters.scope };
    return { districts, chosen, filters, scope, spend: await localSpend(db(), scope) };
  };

  const query = (filters: { from: string | null; to: string | null; department: string | null }, extra: Record<string, string> = {}) => {
    const params = new URLSearchParams(extra);
    if (filters.from) params.set('from', filters.from);
    if (filters.to) params.set('to', filters.to);
    if (filters.department) params.set('department', filters.department);
    const text = params.toString();
    return text ? `?${text}` : '';
  };

  app.get('/organisations/:slug/community-wealth', { config: read, schema: { params: orgParams, querystring: filterQuery } }, async (request, reply) => {
    const org = request.organisation!;
    const wealth = wealthContext(request, 'spend');
    const found = await district(request, request.query);
    if (!found) {
      return reply.page('community-wealth/views/spend-none.njk', { pageTitle: `${org.name}: local spend`, wealth, sourcesHref: sourcesPath(org.slug) });
    }
    const { districts, chosen, filters, scope, spend } = found;
    const neighbourhoods = await organisationNeighbourhoods(db(), org.id);
    const byNeighbourhood = (await spendByNeighbourhood(db(), scope, neighbourhoods, spend.totalPence)).map((n) => ({ ...n, href: neighbourhoodSpendPath(org.slug, n.id, query(filters)) }));
    const wards = spend.byWard;
    // Every ward of the district is drawn, so the map shows where local spend does not land too: those with none share the lowest band.
    const districtWards = await queryRows<{ code: string; name: string }>(
      db(),
      sql`select a.code, a.name from area_lookups l join areas a on a.vintage = 'ward25' and a.code = l.from_code where l.from_vintage = 'ward25' and l.to_vintage = 'lad25' and l.to_code = ${chosen.code}`,
    );
    const ranked = districtWards.length + wards.filter((w) => !districtWards.some((d) => d.code === w.code)).length;
    const values = new Map<string, MapValue>(districtWards.map((d) => [d.code, { band: bandOfRank(ranked, ranked), text: `${d.name} (${d.code}): no spend with suppliers here` }]));
    wards.forEach((w, i) => values.set(w.code, { band: bandOfRank(i + 1, ranked), text: `${w.name} (${w.code}): ${money(w.pence)}, ${percent(spend.local.pence ? w.pence / spend.local.pence : null)} of local spend` }));
    const map = await valuesMapView(app.database, 'ward25', values, { lsoaVintage: 'lsoa21', link: '/areas/{code}', legendTitle: 'tenth of the wards by local spend', worst: 'least', best: 'most' });
    const lad: Record<string, string> = districts.length > 1 ? { lad: chosen.code } : {};
    return reply.page('community-wealth/views/spend-district.njk', {
      pageTitle: `${org.name}: local spend in ${chosen.name}`,
      wealth,
      ...figures(spend, chosen.name),
      district: chosen,
      sampleData: await hasSampleData(db(), org.id),
      districtItems: districts.length > 1 ? districts.map((d) => ({ value: d.code, text: d.name, selected: d.code === chosen.code })) : null,
      ...(await filterChoices(db(), org.id, filters, spend)),
      formAction: wealthPath(org.slug),
      csvHref: wealthPath(org.slug, `.csv${query(filters, lad)}`),
      suppliersHref: suppliersPath(org.slug),
      byNeighbourhood,
      wards,
      map,
      mapLabel: `Map of spend with suppliers in ${chosen.name}, by ward`,
    });
  });

  app.get('/organisations/:slug/community-wealth.csv', { config: read, schema: { params: orgParams, querystring: filterQuery } }, async (request, reply) => {
    const org = request.organisation!;
    const found = await district(request, request.query);
    if (!found) return sendCsv(reply, `${org.slug}-local-spend.csv`, spreadsheetCsv(csvColumns('the district'), []));
    const { scope, spend } = found;
    const neighbourhoods = await spendByNeighbourhood(db(), scope, await organisationNeighbourhoods(db(), org.id), spend.totalPence);
    const wards = spend.byWard;
    const rows = [
      ...breakdownRows(spend),
      ...neighbourhoods.map((n) => ['Neighbourhood', n.label, pounds(n.pence), pounds(n.pence), percent(n.share)]),
      ...wards.map((w) => ['Ward (local spend)', w.name, pounds(w.pence), pounds(w.pence), percent(w.share)]),
    ];
    return sendCsv(reply, `${org.slug}-local-spend-${found.chosen.code}.csv`, spreadsheetCsv(csvColumns(found.chosen.name), rows));
  });

  /** The neighbourhood dashboard's figures, or null for a neighbourhood the organisation cannot see. */
  const neighbourhood = async (request: FastifyRequest, neighbourhoodId: string, query: Filters) => {
    const org = request.organisation!;
    const found = await findNeighbourhoodFor(db(), org.id, neighbourhoodId);
    if (!found) return null;
    const filters = readFilters(query);
    const place: SpendPlace = { neighbourhoodId: found.id };
    const scope: SpendScope = { organisationId: org.id, place, ...filters.scope };
    const spend = await localSpend(db(), scope, { suppliers: true });
    const suppliers = spend.suppliers;
    // Individuals are counted, never named, nor linked to.
    const individuals = suppliers.filter(isIndividual);
    const named = suppliers.filter((s) => !isIndividual(s)).map((s) => ({ label: s.name, pence: s.pence, href: supplierPath(org.slug, s.id) }));
    const individualRow = individuals.length
      ? [{ label: individuals.length === 1 ? withheldName : `${individuals.length} individuals (names withheld)`, pence: individuals.reduce((sum, s) => sum + s.pence, 0), href: null }]
      : [];
    return { found, filters, spend, suppliers: [...named, ...individualRow] };
  };

  const notFound = (reply: FastifyReply) => reply.callNotFound();

  app.get('/organisations/:slug/community-wealth/neighbourhoods/:neighbourhoodId', { config: read, schema: { params: neighbourhoodParams, querystring: filterQuery } }, async (request, reply) => {
    const result = await neighbourhood(request, request.params.neighbourhoodId, request.query);
    if (!result) return notFound(reply);
    const org = request.organisation!;
    const { found, filters, spend, suppliers } = result;
    return reply.page('community-wealth/views/spend-neighbourhood.njk', {
      pageTitle: `${org.name}: spend in ${found.name}`,
      wealth: wealthContext(request, 'spend'),
      ...figures(spend, found.name),
      ...(await filterChoices(db(), org.id, filters, spend)),
      formAction: neighbourhoodSpendPath(org.slug, found.id),
      csvHref: neighbourhoodSpendPath(org.slug, found.id, `.csv${query(filters)}`),
      dashboardHref: wealthPath(org.slug, query(filters)),
      sampleData: await hasSampleData(db(), org.id),
      suppliersHref: suppliersPath(org.slug),
      suppliers: suppliers.map((s) => ({ ...s, share: spend.local.pence ? s.pence / spend.local.pence : null })),
    });
  });

  app.get('/organisations/:slug/community-wealth/neighbourhoods/:neighbourhoodId.csv', { config: read, schema: { params: neighbourhoodParams, querystring: filterQuery } }, async (request, reply) => {
    const result = await neighbourhood(request, request.params.neighbourhoodId, request.query);
    if (!result) return notFound(reply);
    const { found, spend, suppliers } = result;
    const rows = [...breakdownRows(spend), ...suppliers.map((s) => ['Supplier in the neighbourhood', s.label, pounds(s.pence), pounds(s.pence), percent(spend.local.pence ? s.pence / spend.local.pence : null)])];
    return sendCsv(reply, `${request.organisation!.slug}-local-spend-neighbourhood.csv`, spreadsheetCsv(csvColumns(found.name), rows));
  });
};
