import { sql, type SQL } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access } from '../../platform/auth/permissions.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import { pointEwkt } from '../../platform/db/geometry.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { findPostcode } from '../geography/postcodes.ts';
import { problem, problemFor, sendCsv } from '../indicators/routes.ts';
import { csvColumns, exportCsv, readAssetCsvBytes, templateCsv } from './asset-csv.ts';
import { exportOruk, orukPage, orukServiceSchema, orukTaxonomySchema, readOruk, toOruk } from './oruk.ts';
import { serviceStatuses } from './schema.ts';
import { dayCodes, getServices, taxonomyFor, termWithDescendants, type DayCode } from './service.ts';
import { problemText, runImport, TransferError, uuidPattern, type ImportPlan, type Importer, type TransferProblem } from './transfer.ts';

/**
 * Records in and out: the read-only public API in Open Referral UK's shape (/api/v1/oruk/…, so other
 * directories and social-prescribing tools can read the directory), an organisation's import of a CSV,
 * Excel or ORUK file (all or nothing), its exports in both forms, and the CSV template.
 *
 * The API's query is its own rather than search.ts's searchServices: ORUK's filters include ones the
 * /directory page does not offer (vocabulary, ages, a district, a time range, paid-for only), and
 * searchServices has no place for them.
 */

const maxPerPage = 100;
const dayWords: Record<string, DayCode> = {
  monday: 'MO', mon: 'MO', tuesday: 'TU', tue: 'TU', tues: 'TU', wednesday: 'WE', wed: 'WE', thursday: 'TH', thu: 'TH', thur: 'TH', thurs: 'TH',
  friday: 'FR', fri: 'FR', saturday: 'SA', sat: 'SA', sunday: 'SU', sun: 'SU',
};

/** "Tuesday", "TU", "tue", "MO,TH" or the ORUK validator's "2TU" (the day, whatever the week): the day codes, or null. */
export function daysOf(text: string): DayCode[] | null {
  const days: DayCode[] = [];
  for (const part of text.split(',')) {
    const token = part.trim().replace(/^-?[1-5]/, '');
    const code = (dayCodes as string[]).includes(token.toUpperCase()) ? (token.toUpperCase() as DayCode) : dayWords[token.toLowerCase()];
    if (!code) return null;
    if (!days.includes(code)) days.push(code);
  }
  return days.length ? days : null;
}

const time = (name: string) =>
  z
    .string()
    .regex(/^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, `${name} must be a time like 09:30`)
    .optional()
    .describe(`HH:MM, UK local time`);
const age = (name: string) => z.coerce.number({ message: `${name} must be a whole number` }).int(`${name} must be a whole number`).min(0, `${name} must be 0 or more`).max(120, `${name} must be 120 or less`).optional();
const paging = {
  page: z.coerce.number({ message: 'page must be a whole number from 1' }).int('page must be a whole number from 1').min(1, 'page must be a whole number from 1').max(1_000_000, 'page is too large').default(1).describe('From 1'),
  per_page: z.coerce
    .number({ message: 'per_page must be a whole number from 1' })
    .int('per_page must be a whole number from 1')
    .min(1, 'per_page must be a whole number from 1')
    .default(10)
    .transform((n) => Math.min(n, maxPerPage))
    .describe(`Results per page: at most ${maxPerPage} (more is read as ${maxPerPage})`),
};

const servicesQuery = z.object({
  ...paging,
  text: z.string().trim().max(200, 'text must be 200 characters or fewer').optional().describe('Words to find in a service’s name and description'),
  taxonomy_id: z.string().trim().max(200).optional().describe('A category’s id: services in it or any category beneath it'),
  vocabulary: z.string().trim().max(200).optional().describe('Only categories of this vocabulary (patchwork-community-assets is Patchwork’s own)'),
  status: z.enum(serviceStatuses, { message: `status must be one of: ${serviceStatuses.join(', ')}` }).default('active'),
  postcode: z.string().trim().max(10, 'postcode must be a postcode like WN1 1AA').optional().describe('Nearest first from this postcode'),
  proximity: z.coerce.number({ message: 'proximity must be a number of metres' }).positive('proximity must be more than 0 metres').max(200_000, 'proximity must be 200,000 metres or less').optional().describe('With postcode: only services within this many metres'),
  day: z
    .string()
    .trim()
    .max(60)
    .refine((v) => daysOf(v) !== null, 'day must be a day of the week, such as Tuesday or TU (or several, such as MO,TH)')
    .optional()
    .describe('Services with a time on this day (Tuesday or TU; MO,TH for either)'),
  start_time: time('start_time'),
  end_time: time('end_time'),
  minimum_age: age('minimum_age').describe('Services for people of at least this age'),
  maximum_age: age('maximum_age').describe('Services for people of at most this age'),
  is_free: z.enum(['true', 'false'], { message: 'is_free must be true or false' }).optional().describe('Patchwork extension: free (true) or charged for (false)'),
  district: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^E0[6-9]\d{6}$/, 'district must be a local authority district code, such as E08000010')
    .optional()
    .describe('Patchwork extension: services with a location in this local authority district'),
});
type ServicesQuery = z.infer<typeof servicesQuery>;

/** The ids of one page of the services matching the API's filters, and how many match in all. */
async function findServices(db: Tx, q: ServicesQuery, termIds: string[] | null, point: { longitude: number; latitude: number } | null): Promise<{ total: number; ids: string[] }> {
  const where: SQL[] = [sql`s.merged_into_id is null`, sql`s.status = ${q.status}`];
  const words = q.text ? sql`websearch_to_tsquery('english', ${q.text})` : null;
  if (words) where.push(sql`s.search @@ ${words}`);
  if (termIds || q.vocabulary)
    where.push(sql`exists (select 1 from directory_service_taxonomies st join directory_taxonomy_terms t on t.id = st.term_id where st.service_id = s.id
      ${termIds ? sql`and st.term_id = any(${sql.param(termIds)}::text[])` : sql``} ${q.vocabulary ? sql`and t.vocabulary = ${q.vocabulary}` : sql``})`);
  if (q.is_free) where.push(sql`s.free = ${q.is_free === 'true'}`);
  // Ages overlap: a service for 11 to 18 year olds is found by minimum_age 16 and by maximum_age 12.
  if (q.minimum_age !== undefined) where.push(sql`(s.maximum_age is null or s.maximum_age >= ${q.minimum_age})`);
  if (q.maximum_age !== undefined) where.push(sql`(s.minimum_age is null or s.minimum_age <= ${q.maximum_age})`);
  const days = q.day ? daysOf(q.day) : null;
  if (days || q.start_time || q.end_time) {
    // One schedule must meet every condition: on the day, and its hours overlapping the times asked.
    const on: SQL[] = [sql`sc.service_id = s.id`, sql`(sc.valid_to is null or sc.valid_to >= current_date)`];
    if (days) on.push(sql`sc.by_day ~ ${`(^|,)-?[1-5]?(${days.join('|')})(,|$)`}`);
    if (q.start_time || q.end_time) on.push(sql`sc.opens_at is not null`);
    if (q.end_time) on.push(sql`sc.opens_at < ${q.end_time}::time`);
    if (q.start_time) on.push(sql`(sc.closes_at > ${q.start_time}::time or (sc.closes_at is null and sc.opens_at >= ${q.start_time}::time))`);
    where.push(sql`exists (select 1 from directory_schedules sc where ${sql.join(on, sql` and `)})`);
  }
  if (q.district) where.push(sql`exists (select 1 from directory_service_locations sl join directory_locations l on l.id = sl.location_id where sl.service_id = s.id and l.lad25 = ${q.district})`);
  const origin = point ? sql`ST_Transform(${pointEwkt(point.longitude, point.latitude)}::geometry, 27700)` : null;
  if (origin && q.proximity !== undefined)
    where.push(sql`exists (select 1 from directory_service_locations sl join directory_locations l on l.id = sl.location_id where sl.service_id = s.id and ST_DWithin(l.location_bng, ${origin}, ${q.proximity}))`);
  const filter = sql.join(where, sql` and `);
  const [count] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from directory_services s where ${filter}`);
  const distance = origin ? sql`(select min(ST_Distance(l.location_bng, ${origin})) from directory_service_locations sl join directory_locations l on l.id = sl.location_id where sl.service_id = s.id)` : null;
  const order = distance ? sql`${distance} asc nulls last, s.name, s.id` : words ? sql`ts_rank(s.search, ${words}) desc, s.name, s.id` : sql`s.name, s.id`;
  const rows = await queryRows<{ id: string }>(db, sql`select s.id from directory_services s where ${filter} order by ${order} limit ${q.per_page} offset ${(q.page - 1) * q.per_page}`);
  return { total: count?.n ?? 0, ids: rows.map((r) => r.id) };
}

const page = <T>(content: T[], total: number, number: number, size: number) => {
  const totalPages = Math.ceil(total / size);
  return { totalElements: total, totalPages, number, size, first: number === 1, last: number >= totalPages, content };
};

const slugParams = z.object({ slug: z.string() });
const formats = ['csv', 'oruk'] as const;
type Form = Record<string, unknown>;

/** What kind of file an upload is, from its first bytes: JSON opens with { or [, a workbook is a zip, anything else is CSV. */
function formatOf(bytes: Buffer): 'oruk' | 'csv' {
  const start = bytes.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return start.startsWith('{') || start.startsWith('[') ? 'oruk' : 'csv';
}

/** Reads an upload or a file from the command line into an import plan. */
export async function readImportFile(bytes: Buffer, file: string, importer: Importer, format: 'csv' | 'oruk' | null = null): Promise<ImportPlan> {
  return (format ?? formatOf(bytes)) === 'oruk' ? readOruk(bytes.toString('utf8'), file, importer) : readAssetCsvBytes(bytes, file);
}

export const orukRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  // ---- The public API --------------------------------------------------------------------------------------

  app.get(
    '/api/v1/oruk',
    {
      config: { access: access.public },
      schema: {
        tags: ['community-assets'],
        summary: 'About the Open Referral UK API: the version of the standard it follows and where its OpenAPI description is',
        response: { 200: z.object({ version: z.string(), profile: z.string(), openapi_url: z.string(), services_url: z.string() }) },
      },
    },
    async () => ({ version: '1.0', profile: 'https://openreferraluk.org (HSDS-UK, ORUK API v1)', openapi_url: '/api/v1/openapi.json', services_url: '/api/v1/oruk/services' }),
  );

  const servicesRoute = {
    config: { access: access.public },
    schema: {
      tags: ['community-assets'],
      summary:
        'The directory’s services in Open Referral UK’s shape, a page at a time: active ones by default, by name; nearest first with a postcode; best matches first with text. Records merged into another never appear, nor contact details the organisation has not made public.',
      querystring: servicesQuery,
      response: { 200: orukPage(orukServiceSchema), 400: problem },
    },
  };
  const listServices = async (request: FastifyRequest, reply: FastifyReply) => {
    const q = request.query as ServicesQuery;
    let point: { longitude: number; latitude: number } | null = null;
    if (q.proximity !== undefined && !q.postcode) return problemFor(request, reply, 400, 'A postcode is needed', 'proximity is a distance from a postcode: give postcode too.');
    if (q.postcode) {
      const found = await findPostcode(db(), q.postcode);
      const record = found.postcode;
      if (!record) return problemFor(request, reply, 400, 'Unknown postcode', found.message);
      if (record.longitude === null || record.latitude === null) return problemFor(request, reply, 400, 'Postcode cannot be placed', found.message ?? `${record.postcode} cannot be placed on a map.`);
      point = { longitude: record.longitude, latitude: record.latitude };
    }
    const termIds = q.taxonomy_id ? await termWithDescendants(db(), [q.taxonomy_id]) : null;
    const { total, ids } = termIds && !termIds.length ? { total: 0, ids: [] } : await findServices(db(), q, termIds, point);
    const records = await getServices(db(), ids);
    return page(
      records.map((r) => toOruk(r, 'public')),
      total,
      q.page,
      q.per_page,
    );
  };
  app.get('/api/v1/oruk/services', servicesRoute, listServices);
  // The ORUK validator asks for /services/?page=1.
  app.get('/api/v1/oruk/services/', { ...servicesRoute, schema: { ...servicesRoute.schema, hide: true } }, listServices);

  app.get(
    '/api/v1/oruk/services/:id',
    {
      config: { access: access.public },
      schema: {
        tags: ['community-assets'],
        summary: 'One service in Open Referral UK’s shape. A record merged into another redirects (301) to the one kept.',
        params: z.object({ id: z.string().max(200) }),
        response: { 200: orukServiceSchema, 404: problem },
      },
    },
    async (request, reply) => {
      const id = request.params.id.trim().toLowerCase();
      const [record] = uuidPattern.test(id) ? await getServices(db(), [id]) : [];
      if (!record) return problemFor(request, reply, 404, 'Service not found', `No service ${request.params.id} is in the directory.`);
      if (record.mergedIntoId) return reply.redirect(`/api/v1/oruk/services/${record.mergedIntoId}`, 301);
      return toOruk(record, 'public');
    },
  );

  app.get(
    '/api/v1/oruk/taxonomies',
    {
      config: { access: access.public },
      schema: {
        tags: ['community-assets'],
        summary: 'The categories services are filed under: Patchwork’s own vocabulary and the terms organisations have added, by vocabulary and name',
        querystring: z.object({ ...paging, vocabulary: z.string().trim().max(200).optional() }),
        response: { 200: orukPage(orukTaxonomySchema) },
      },
    },
    async (request) => {
      const { page: number, per_page: size, vocabulary } = request.query;
      const filter = vocabulary ? sql`where vocabulary = ${vocabulary}` : sql``;
      const [count] = await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from directory_taxonomy_terms ${filter}`);
      const rows = await queryRows<{ id: string; name: string; vocabulary: string; parent: string | null }>(
        db(),
        sql`select id, name, vocabulary, parent_id as parent from directory_taxonomy_terms ${filter} order by owner_organisation_id nulls first, vocabulary, name, id limit ${size} offset ${(number - 1) * size}`,
      );
      return page(rows, count?.n ?? 0, number, size);
    },
  );

  // ---- The template ----------------------------------------------------------------------------------------

  app.get('/directory/template.csv', { config: { access: access.public } }, async (_request, reply) => sendCsv(reply, 'community-assets-template.csv', templateCsv()));

  // ---- An organisation's import and export -----------------------------------------------------------------

  const renderImport = async (reply: FastifyReply, org: { id: string; slug: string; name: string }, errors?: FormErrors, problems: TransferProblem[] = []) =>
    reply.page(
      'community-assets/views/transfer-import.njk',
      {
        pageTitle: 'Import and export directory records',
        org,
        errors,
        problems: problems.map((p) => ({ where: p.where, field: p.field, message: p.message })),
        columns: csvColumns(1, 1),
        categories: (await taxonomyFor(db(), org.id)).map((t) => ({ id: t.id, name: t.name, own: t.ownerOrganisationId !== null })),
        directoryHref: `/organisations/${encodeURIComponent(org.slug)}/directory`,
      },
      errors ? 400 : 200,
    );

  app.get('/organisations/:slug/directory/import', { config: { access: access.organisation('coordinator') }, schema: { params: slugParams } }, async (request, reply) =>
    renderImport(reply, request.organisation!),
  );

  app.post(
    '/organisations/:slug/directory/import',
    { config: { access: access.organisation('coordinator') }, schema: { params: slugParams, body: z.record(z.string(), z.unknown()) }, attachValidation: true },
    async (request, reply) => {
      const org = request.organisation!;
      const form = (request.body ?? {}) as Form;
      const bytes = Buffer.isBuffer(form.file) ? form.file : Buffer.alloc(0);
      if (!bytes.length) {
        const text = 'Choose a CSV, Excel or Open Referral UK JSON file';
        return renderImport(reply, org, { summary: [{ text, href: '#file' }], fields: { file: { text } } });
      }
      try {
        const plan = await readImportFile(bytes, 'The file', org);
        const result = await runImport(db(), plan, org, request.user?.id ?? null, actorOf(request));
        const counted = `Imported ${result.total.toLocaleString('en-GB')} ${result.total === 1 ? 'record' : 'records'} (${result.created.toLocaleString('en-GB')} new, ${result.updated.toLocaleString('en-GB')} updated).`;
        const added = result.categoriesAdded.length ? ` Added ${result.categoriesAdded.length} ${result.categoriesAdded.length === 1 ? 'category' : 'categories'} of your own: ${result.categoriesAdded.slice(0, 5).join(', ')}${result.categoriesAdded.length > 5 ? '…' : ''}.` : '';
        const notes = result.notes.length ? ` ${result.notes.join('. ')}.` : '';
        return reply.flash(`${counted}${added}${notes}`).redirect(`/organisations/${encodeURIComponent(org.slug)}/directory`, 303);
      } catch (error) {
        if (!(error instanceof ImportError)) throw error;
        // Every problem, by record and field, in a table below; the first ones in the summary too. Nothing was saved.
        const problems: TransferProblem[] =
          error instanceof TransferError ? error.transferProblems : error.problems.map((p) => ({ record: p.row, where: p.row ? `Row ${p.row}` : 'The file', field: p.column, message: p.message }));
        const headline = error instanceof TransferError ? error.headline : error.message.split('\n')[0]!;
        const summary = [{ text: headline, href: '#file' }, ...problems.slice(0, 10).map((p) => ({ text: problemText(p), href: problems.length > 1 ? '#problems' : '#file' }))];
        if (problems.length > 10) summary.push({ text: `…and ${problems.length - 10} more, listed below`, href: '#problems' });
        return renderImport(reply, org, { summary, fields: { file: { text: headline } } }, problems);
      }
    },
  );

  app.get(
    '/organisations/:slug/directory/export',
    {
      config: { access: access.organisation('member') },
      schema: { params: slugParams, querystring: z.object({ format: z.enum(formats, { message: 'format must be csv or oruk' }).default('csv') }) },
    },
    async (request, reply) => {
      const org = request.organisation!;
      const day = new Date().toISOString().slice(0, 10);
      if (request.query.format === 'csv') return sendCsv(reply, `${org.slug}-directory-${day}.csv`, await exportCsv(db(), org.id));
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${org.slug}-directory-${day}.oruk.json"`)
        .send(await exportOruk(db(), org.id));
    },
  );
};

