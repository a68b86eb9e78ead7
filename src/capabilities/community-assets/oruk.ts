import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import { assetKinds, contactKinds, scheduleFrequencies, serviceStatuses, type AssetKind, type ServiceStatus } from './schema.ts';
import { getServices, publicContacts, type AreaRef, type ContactInput, type LocationInput, type ScheduleInput, type ServiceRecord } from './service.ts';
import { nameUuid, ProblemList, uuidPattern, type ImportPlan, type ImportRecord, type Importer, type TermPlan } from './transfer.ts';

/**
 * Open Referral UK (HSDS-UK, the ORUK API v1 shape its validator checks) both ways: a directory record as an
 * ORUK service, and an ORUK file (one service, a list, or an API page) as records to import.
 *
 * What Patchwork holds that ORUK has no field for travels in an `x-patchwork` object beside the ORUK fields
 * (ORUK's schemas allow extra properties, and the prefix says whose they are): on a service, whether it is a
 * place or an activity, wheelchair access, service-wide accessibility notes and the sample-data mark; on a
 * contact, whose details they are and whether they are public; on an organisation, the sample-data mark; on a
 * location, the LSOA, ward and district it lies in (worked out again on import). Ids ORUK gives to things
 * Patchwork does not keep as rows (a contact's phone, a location's address, a cost option) are name-based
 * UUIDs of the record they belong to, so they are the same in every export.
 */

const text = z.string().nullable();
const id = z.string();

export const orukTaxonomySchema = z.object({
  id,
  name: z.string(),
  vocabulary: z.string().nullable(),
  parent: z.string().nullable().describe('The id of the term above this one'),
});

const areaCode = z.string().nullable();

export const orukServiceSchema = z.object({
  id,
  name: z.string(),
  description: text,
  url: text,
  email: text,
  status: z.enum(serviceStatuses),
  fees: text,
  accreditations: text,
  deliverable_type: text,
  attending_type: z.enum(['venue']).nullable().describe('venue when the service has a place; null when that is not known'),
  attending_access: text,
  assured_date: z.string().describe('When the record was last checked (yyyy-mm-dd)'),
  organization: z.object({
    id,
    name: z.string(),
    description: text,
    email: text,
    url: text,
    logo: text,
    uri: text,
    phone: text,
    'x-patchwork': z.object({ sample: z.boolean().describe('Invented for demonstration') }),
  }),
  contacts: z.array(
    z.object({
      id,
      name: text,
      title: text,
      email: text,
      phones: z.array(z.object({ id, number: z.string() })),
      'x-patchwork': z.object({ kind: z.enum(contactKinds), public: z.boolean().describe('False only in an organisation’s own export: never published') }),
    }),
  ),
  cost_options: z.array(z.object({ id, option: text, amount: z.number().nullable().describe('0 when free'), amount_description: text })),
  eligibilitys: z.array(z.object({ id, eligibility: text, minimum_age: z.number().int().nullable(), maximum_age: z.number().int().nullable() })),
  regular_schedules: z.array(
    z.object({
      id,
      service_at_location_id: text.describe('The service_at_location it happens at; null when it is the whole service’s'),
      opens_at: text.describe('HH:MM, UK local time'),
      closes_at: text,
      valid_from: text,
      valid_to: text,
      dtstart: text,
      freq: z.enum(scheduleFrequencies),
      interval: z.number().int(),
      byday: z.string().describe('MO,TH weekly; 2TU (second Tuesday) or -1FR (last Friday) monthly'),
      bymonthday: text,
      description: text,
    }),
  ),
  service_at_locations: z.array(
    z.object({
      id,
      location: z.object({
        id,
        name: text,
        description: text,
        latitude: z.number().nullable(),
        longitude: z.number().nullable(),
        physical_addresses: z.array(z.object({ id, address_1: text, city: text, state_province: text, postal_code: text, country: z.string() })),
        accessibility_for_disabilities: z.array(z.object({ id, accessibility: z.string() })),
        'x-patchwork': z.object({ lsoa21: areaCode.describe('2021 LSOA'), ward25: areaCode.describe('2025 ward'), lad25: areaCode.describe('Local authority district (2025)') }),
      }),
    }),
  ),
  service_taxonomys: z.array(z.object({ id, taxonomy: orukTaxonomySchema })),
  'x-patchwork': z.object({
    kind: z.enum(assetKinds).describe('place: a physical asset; activity: a group, club, activity or organisation'),
    wheelchair_accessible: z.boolean().nullable(),
    accessibility: text,
    sample: z.boolean().describe('Invented for demonstration'),
  }),
});
export type OrukService = z.infer<typeof orukServiceSchema>;

/** ORUK's page of results, as its validator reads it. */
export const orukPage = <T extends z.ZodType>(item: T) =>
  z.object({
    totalElements: z.number().int(),
    totalPages: z.number().int(),
    number: z.number().int().describe('This page, from 1'),
    size: z.number().int().describe('Results per page asked for'),
    first: z.boolean(),
    last: z.boolean(),
    content: z.array(item),
  });

const area = (ref: AreaRef) => ref?.code ?? null;

/**
 * A record as an ORUK service. `contacts: 'public'` (everything anyone may see) leaves out what the
 * organisation has not made public, and never a private individual's details; `'all'` is for the organisation's
 * own export, each contact marked so importing it again keeps it private.
 */
export function toOruk(record: ServiceRecord, contacts: 'public' | 'all'): OrukService {
  const shown = contacts === 'public' ? publicContacts(record) : record.contacts;
  const eligible = record.eligibility !== null || record.minimumAge !== null || record.maximumAge !== null;
  return {
    id: record.id,
    name: record.name,
    description: record.description,
    url: record.url,
    email: record.email,
    status: record.status,
    fees: record.fees,
    accreditations: null,
    deliverable_type: null,
    attending_type: record.locations.length ? 'venue' : null,
    attending_access: null,
    assured_date: record.lastChecked,
    organization: {
      id: record.organisation.id,
      name: record.organisation.name,
      description: record.organisation.description,
      email: record.organisation.email,
      url: record.organisation.url,
      logo: null,
      uri: null,
      phone: record.organisation.phone,
      'x-patchwork': { sample: record.organisation.sample },
    },
    contacts: shown.map((c) => ({
      id: c.id,
      name: c.name,
      title: c.title,
      email: c.email,
      phones: c.phone ? [{ id: nameUuid(`phone:${c.id}`), number: c.phone }] : [],
      'x-patchwork': { kind: c.kind, public: c.public },
    })),
    // Free is a cost option of 0; a charge is one whose amount is in words (fees); not known is no option at all.
    cost_options:
      record.free === null
        ? []
        : [{ id: nameUuid(`cost:${record.id}`), option: record.free ? 'Free' : null, amount: record.free ? 0 : null, amount_description: record.fees }],
    eligibilitys: eligible ? [{ id: nameUuid(`eligibility:${record.id}`), eligibility: record.eligibility, minimum_age: record.minimumAge, maximum_age: record.maximumAge }] : [],
    regular_schedules: record.schedules.map((s) => ({
      id: s.id,
      service_at_location_id: s.serviceLocationId,
      opens_at: s.opensAt,
      closes_at: s.closesAt,
      valid_from: s.validFrom,
      valid_to: s.validTo,
      dtstart: null,
      freq: s.freq,
      interval: s.interval,
      byday: s.byDay,
      bymonthday: null,
      description: s.description,
    })),
    service_at_locations: record.locations.map((l) => ({
      id: l.serviceLocationId,
      location: {
        id: l.id,
        name: l.name,
        description: null,
        latitude: l.latitude,
        longitude: l.longitude,
        physical_addresses:
          l.address1 || l.city || l.postcode ? [{ id: nameUuid(`address:${l.id}`), address_1: l.address1, city: l.city, state_province: null, postal_code: l.postcode, country: 'GB' }] : [],
        accessibility_for_disabilities: l.accessibility ? [{ id: nameUuid(`accessibility:${l.id}`), accessibility: l.accessibility }] : [],
        'x-patchwork': { lsoa21: area(l.lsoa21), ward25: area(l.ward25), lad25: area(l.lad25) },
      },
    })),
    service_taxonomys: record.categories.map((c) => ({
      id: nameUuid(`service-taxonomy:${record.id}:${c.id}`),
      taxonomy: { id: c.id, name: c.name, vocabulary: c.vocabulary, parent: c.parentId },
    })),
    'x-patchwork': { kind: record.kind, wheelchair_accessible: record.wheelchairAccessible, accessibility: record.accessibility, sample: record.sample },
  };
}

/** An organisation's own records (not those merged away), by name. */
export async function ownServiceIds(db: Tx, ownerOrganisationId: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(db, sql`select id from directory_services where owner_organisation_id = ${ownerOrganisationId} and merged_into_id is null order by name, id`);
  return rows.map((r) => r.id);
}

/** An organisation's whole directory as ORUK JSON (a list of services), with its non-public contacts marked as such. */
export async function exportOruk(db: Tx, ownerOrganisationId: string): Promise<string> {
  const records = await getServices(db, await ownServiceIds(db, ownerOrganisationId));
  return `${JSON.stringify(records.map((r) => toOruk(r, 'all')), null, 2)}\n`;
}

// ---- Reading ORUK -----------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A value as a problem quotes it: short, and never serialised whole, since a hostile file can nest a value
 * deeper than JSON.stringify can recurse or make it megabytes long.
 */
function quoted(v: unknown): string {
  if (Array.isArray(v)) return 'A list';
  if (isObject(v)) return 'An object';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

const dayNames: Record<string, string> = {
  MONDAY: 'MO', MON: 'MO', TUESDAY: 'TU', TUE: 'TU', TUES: 'TU', WEDNESDAY: 'WE', WED: 'WE', THURSDAY: 'TH', THU: 'TH', THUR: 'TH', THURS: 'TH',
  FRIDAY: 'FR', FRI: 'FR', SATURDAY: 'SA', SAT: 'SA', SUNDAY: 'SU', SUN: 'SU',
};
const dayToken = /^(-?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$/;

/** Reads one service's fields, naming each problem by its JSON path. */
class Reader {
  constructor(
    private readonly problems: ProblemList,
    private readonly record: number,
    private readonly where: string,
  ) {}
  fail(path: string, message: string): void {
    this.problems.add(this.record, this.where, path, message);
  }
  /** Text as given (a value that is only spaces is none); numbers are read as their text. */
  text(o: Json, key: string, path: string): string | null {
    const v = o[key];
    if (v === undefined || v === null) return null;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') {
      this.fail(path, 'must be text');
      return null;
    }
    // A NUL character is not text to PostgreSQL (saving it would fail), and half a surrogate pair (a \uD800
    // escape alone) cannot be stored as UTF-8 without being changed: the field is named here instead.
    if (v.includes('\u0000') || /\p{Cs}/u.test(v)) {
      this.fail(path, `holds ${v.includes('\u0000') ? 'a NUL character (\\u0000)' : 'half of a surrogate pair (a \\uD800 to \\uDFFF escape on its own)'}, which is not text: the file may be damaged`);
      return null;
    }
    return v.trim() === '' ? null : v;
  }
  number(o: Json, key: string, path: string, integer = false): number | null {
    const v = o[key];
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return null;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?(\d+\.?\d*|\.\d+)\s*$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      this.fail(path, `${quoted(v)} is not ${integer ? 'a whole number' : 'a number'}`);
      return null;
    }
    return n;
  }
  boolean(o: Json, key: string, path: string): boolean | null {
    const v = o[key];
    if (v === undefined || v === null) return null;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    this.fail(path, `${quoted(v)} is not true or false`);
    return null;
  }
  list(o: Json, key: string, path: string): Json[] {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.fail(path, 'must be a list');
      return [];
    }
    return v.flatMap((item, i) => {
      if (isObject(item)) return [item];
      this.fail(`${path}[${i}]`, 'must be an object');
      return [];
    });
  }
  object(o: Json, key: string, path: string): Json | null {
    const v = o[key];
    if (v === undefined || v === null) return null;
    if (!isObject(v)) {
      this.fail(path, 'must be an object');
      return null;
    }
    return v;
  }
  /** "HH:MM", from HH:MM, HH:MM:SS and either with a UTC offset (read as UK local time, as services here keep). */
  time(o: Json, key: string, path: string): string | null {
    const v = this.text(o, key, path);
    if (v === null) return null;
    const m = /^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/.exec(v.trim());
    if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
      this.fail(path, `'${v}' is not a time: use HH:MM, such as 09:30`);
      return null;
    }
    return `${m[1]!.padStart(2, '0')}:${m[2]}`;
  }
  date(o: Json, key: string, path: string): string | null {
    const v = this.text(o, key, path);
    if (v === null) return null;
    const m = /^(\d{4}-\d{2}-\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(v.trim());
    if (!m || Number.isNaN(Date.parse(`${m[1]}T00:00:00Z`)) || new Date(`${m[1]}T00:00:00Z`).toISOString().slice(0, 10) !== m[1]) {
      this.fail(path, `'${v}' is not a date: use yyyy-mm-dd, such as 2026-04-01`);
      return null;
    }
    return m[1]!;
  }
}

/** An id Patchwork can keep: the file's own when it is a UUID, otherwise one made from it (the same every time). */
function keptId(raw: string | null, scope: string): string | null {
  if (raw === null) return null;
  const trimmed = raw.trim();
  return uuidPattern.test(trimmed) ? trimmed.toLowerCase() : nameUuid(`${scope}:${trimmed}`);
}

type ScheduleRead = { input: ScheduleInput; rawId: string | null; path: string; location: number | null };

function readSchedule(r: Reader, o: Json, path: string): Omit<ScheduleRead, 'location'> | null {
  const freqText = r.text(o, 'freq', `${path}.freq`)?.trim().toUpperCase() ?? 'WEEKLY';
  let ok = true;
  if (!(scheduleFrequencies as readonly string[]).includes(freqText)) {
    r.fail(`${path}.freq`, `'${freqText}' is not supported: Patchwork keeps weekly and monthly times (WEEKLY or MONTHLY)`);
    ok = false;
  }
  const interval = r.number(o, 'interval', `${path}.interval`, true) ?? 1;
  const bydayText = r.text(o, 'byday', `${path}.byday`);
  const days: string[] = [];
  if (bydayText === null) {
    r.fail(`${path}.byday`, 'Say which day it happens, such as MO, or 2TU for the second Tuesday of the month');
    ok = false;
  } else {
    for (const part of bydayText.split(',')) {
      const token = part.trim().toUpperCase();
      const code = dayNames[token] ?? token;
      if (dayToken.test(code)) days.push(code);
      else {
        r.fail(`${path}.byday`, `'${part.trim()}' is not a day: use MO, TU, WE, TH, FR, SA or SU (2TU for the second Tuesday of a month, -1FR for the last Friday)`);
        ok = false;
      }
    }
  }
  if (r.text(o, 'bymonthday', `${path}.bymonthday`) !== null) {
    r.fail(`${path}.bymonthday`, 'Days of the month by number are not supported: give the weekday instead, such as byday 2TU for the second Tuesday');
    ok = false;
  }
  const opensAt = r.time(o, 'opens_at', `${path}.opens_at`);
  const closesAt = r.time(o, 'closes_at', `${path}.closes_at`);
  const validFrom = r.date(o, 'valid_from', `${path}.valid_from`);
  const validTo = r.date(o, 'valid_to', `${path}.valid_to`);
  const description = r.text(o, 'description', `${path}.description`);
  if (!ok) return null;
  return { input: { freq: freqText as ScheduleInput['freq'], interval, byDay: days.join(','), opensAt, closesAt, validFrom, validTo, description }, rawId: r.text(o, 'id', `${path}.id`), path };
}

const notKept = ['holiday_schedules', 'languages', 'service_areas', 'fundings', 'reviews'] as const;

/**
 * Reads an ORUK file: one service, a list of services, or an API page ({"content": […]}). Every problem is
 * named by service and JSON path; the records are checked against the database by runImport.
 */
export function readOruk(source: string, file: string, importer: Importer): ImportPlan {
  const problems = new ProblemList();
  const notes = new Map<string, number>();
  const note = (text: string) => notes.set(text, (notes.get(text) ?? 0) + 1);
  const terms = new Map<string, TermPlan>();
  const records: ImportRecord[] = [];
  const plan = (): ImportPlan => ({
    format: 'oruk',
    file,
    records,
    problems: problems.list,
    terms,
    notes: [...notes].map(([text, n]) => `${n.toLocaleString('en-GB')} ${n === 1 ? 'service' : 'services'} ${text}`),
    checkCoordinates: false,
  });

  let parsed: unknown;
  try {
    parsed = JSON.parse(source.replace(/^\uFEFF/, ''));
  } catch (error) {
    problems.add(0, 'The file', '', `is not valid JSON (${(error as Error).message})`);
    return plan();
  }
  const services = Array.isArray(parsed) ? parsed : isObject(parsed) && Array.isArray(parsed.content) ? parsed.content : isObject(parsed) && ('name' in parsed || 'id' in parsed) ? [parsed] : null;
  if (!services) {
    problems.add(0, 'The file', '', 'holds no Open Referral UK services: give one service, a list of services, or a page of them ({"content": […]})');
    return plan();
  }

  services.forEach((item, index) => {
    if (problems.full) return;
    const number = index + 1;
    if (!isObject(item)) {
      problems.add(number, `Service ${number}`, '', 'is not a service object');
      return;
    }
    const rawServiceId = typeof item.id === 'string' || typeof item.id === 'number' ? String(item.id).trim() : null;
    const where = `Service ${number}${rawServiceId ? ` (id ${rawServiceId})` : ''}`;
    const r = new Reader(problems, number, where);
    if (!rawServiceId) r.fail('id', 'Every service needs an id, so that importing the file again updates it rather than adding it twice');
    const serviceId = keptId(rawServiceId, `${importer.id}:service`) ?? nameUuid(`${importer.id}:service-number:${number}`);
    const extra = r.object(item, 'x-patchwork', 'x-patchwork') ?? {};

    const kindText = r.text(extra, 'kind', 'x-patchwork.kind');
    if (kindText !== null && !(assetKinds as readonly string[]).includes(kindText)) r.fail('x-patchwork.kind', `'${kindText}' is not a kind: use place or activity`);
    const kind: AssetKind = kindText === 'place' ? 'place' : 'activity';
    const statusText = r.text(item, 'status', 'status')?.trim().toLowerCase() ?? 'active';
    if (!(serviceStatuses as readonly string[]).includes(statusText)) r.fail('status', `'${statusText}' is not a status: use ${serviceStatuses.join(', ')}`);

    const organisation = r.object(item, 'organization', 'organization');
    if (!organisation) r.fail('organization', 'Every service needs the organization that runs it');
    const org = organisation ?? {};
    const orgSample = r.boolean(r.object(org, 'x-patchwork', 'organization.x-patchwork') ?? {}, 'sample', 'organization.x-patchwork.sample');

    // Cost: free when every option costs nothing; a charge otherwise; not known without options.
    const costs = r.list(item, 'cost_options', 'cost_options');
    const amounts = costs.map((c, i) => ({ amount: r.number(c, 'amount', `cost_options[${i}].amount`), option: r.text(c, 'option', `cost_options[${i}].option`), words: r.text(c, 'amount_description', `cost_options[${i}].amount_description`) }));
    const free = amounts.length ? amounts.every((a) => a.amount === 0 || (a.amount === null && /^\s*free\s*$/i.test(a.option ?? ''))) : null;
    let fees = r.text(item, 'fees', 'fees');
    if (fees === null && free === false) {
      const described = amounts.map((a) => [a.option, a.amount ? `£${a.amount.toFixed(2)}` : null, a.words].filter((p) => p !== null).join(' ')).filter((p) => p);
      fees = described.length ? described.join('; ') : null;
    }

    // ORUK's API spells it eligibilitys; HSDS, eligibilities.
    const eligibilityKey = 'eligibilitys' in item ? 'eligibilitys' : 'eligibilities';
    const ages = r.list(item, eligibilityKey, eligibilityKey).map((e, i) => ({
      text: r.text(e, 'eligibility', `${eligibilityKey}[${i}].eligibility`),
      min: r.number(e, 'minimum_age', `${eligibilityKey}[${i}].minimum_age`, true),
      max: r.number(e, 'maximum_age', `${eligibilityKey}[${i}].maximum_age`, true),
    }));
    const mins = ages.map((a) => a.min).filter((n): n is number => n !== null);
    const maxes = ages.map((a) => a.max).filter((n): n is number => n !== null);
    const eligibilityTexts = ages.map((a) => a.text).filter((t): t is string => t !== null);

    // Locations, with any schedules ORUK nests in a service_at_location.
    const locations: LocationInput[] = [];
    const serviceLocationIds: (string | null)[] = [];
    const locationRawIds: (string | null)[] = [];
    const locationPaths: string[] = [];
    const schedules: ScheduleRead[] = [];
    r.list(item, 'service_at_locations', 'service_at_locations').forEach((sal, i) => {
      const path = `service_at_locations[${i}]`;
      const location = r.object(sal, 'location', `${path}.location`);
      if (!location) return r.fail(`${path}.location`, 'Every service_at_location needs its location');
      const rawSalId = r.text(sal, 'id', `${path}.id`);
      const addresses = r.list(location, 'physical_addresses', `${path}.location.physical_addresses`);
      if (addresses.length > 1) note('had more than one physical address for a location: Patchwork keeps the first');
      const address = addresses[0] ?? {};
      const addressPath = `${path}.location.physical_addresses[0]`;
      if (r.text(location, 'description', `${path}.location.description`) !== null) note('had location descriptions, which Patchwork does not keep');
      const accessibility = r
        .list(location, 'accessibility_for_disabilities', `${path}.location.accessibility_for_disabilities`)
        .map((a, j) => r.text(a, 'accessibility', `${path}.location.accessibility_for_disabilities[${j}].accessibility`))
        .filter((t): t is string => t !== null);
      const index = locations.length;
      locations.push({
        id: keptId(r.text(location, 'id', `${path}.location.id`), `${importer.id}:location`) ?? undefined,
        name: r.text(location, 'name', `${path}.location.name`),
        address1: r.text(address, 'address_1', `${addressPath}.address_1`),
        city: r.text(address, 'city', `${addressPath}.city`),
        postcode: r.text(address, 'postal_code', `${addressPath}.postal_code`),
        longitude: r.number(location, 'longitude', `${path}.location.longitude`),
        latitude: r.number(location, 'latitude', `${path}.location.latitude`),
        accessibility: accessibility.length ? accessibility.join('; ') : null,
      });
      serviceLocationIds.push(keptId(rawSalId, `${serviceId}:service-at-location`) ?? nameUuid(`${serviceId}:service-at-location-number:${i}`));
      locationRawIds.push(rawSalId?.trim() ?? null);
      locationPaths.push(path);
      r.list(sal, 'regular_schedules', `${path}.regular_schedules`).forEach((s, j) => {
        const read = readSchedule(r, s, `${path}.regular_schedules[${j}]`);
        if (read) schedules.push({ ...read, location: index });
      });
      if (r.list(sal, 'holiday_schedules', `${path}.holiday_schedules`).length) note('had holiday_schedules, which Patchwork does not keep');
    });
    r.list(item, 'regular_schedules', 'regular_schedules').forEach((s, j) => {
      const path = `regular_schedules[${j}]`;
      const read = readSchedule(r, s, path);
      const nested = r.object(s, 'service_at_location', `${path}.service_at_location`);
      const linkRaw = r.text(s, 'service_at_location_id', `${path}.service_at_location_id`)?.trim() ?? (nested ? r.text(nested, 'id', `${path}.service_at_location.id`)?.trim() ?? null : null);
      let location: number | null = null;
      if (linkRaw !== null) {
        location = locationRawIds.indexOf(linkRaw);
        if (location < 0) {
          r.fail(`${path}.service_at_location_id`, `'${linkRaw}' is not one of this service’s service_at_locations`);
          return;
        }
      }
      if (read) schedules.push({ ...read, location });
    });

    // Contacts: one per phone number, since Patchwork keeps one number to a contact.
    const contacts: { input: ContactInput; id: string | null; path: string }[] = [];
    r.list(item, 'contacts', 'contacts').forEach((c, i) => {
      const path = `contacts[${i}]`;
      const marks = r.object(c, 'x-patchwork', `${path}.x-patchwork`) ?? {};
      const kindGiven = r.text(marks, 'kind', `${path}.x-patchwork.kind`);
      if (kindGiven !== null && !(contactKinds as readonly string[]).includes(kindGiven)) r.fail(`${path}.x-patchwork.kind`, `'${kindGiven}' is not a kind of contact: use ${contactKinds.join(', ')}`);
      const name = r.text(c, 'name', `${path}.name`);
      const contactKind = (contactKinds as readonly string[]).includes(kindGiven ?? '') ? (kindGiven as ContactInput['kind']) : name ? 'staff' : 'organisation';
      const isPublic = r.boolean(marks, 'public', `${path}.x-patchwork.public`) ?? contactKind !== 'private-individual';
      const phones = r
        .list(c, 'phones', `${path}.phones`)
        .map((p, j) => r.text(p, 'number', `${path}.phones[${j}].number`))
        .filter((n): n is string => n !== null);
      const base = { kind: contactKind, name, title: r.text(c, 'title', `${path}.title`), email: r.text(c, 'email', `${path}.email`), public: isPublic };
      const contactId = keptId(r.text(c, 'id', `${path}.id`), `${serviceId}:contact`);
      if (!phones.length && !base.name && !base.email) return;
      (phones.length ? phones : [null]).forEach((phone, j) =>
        contacts.push({ input: { ...base, phone }, id: j === 0 ? contactId : contactId ? nameUuid(`${contactId}:phone:${j}`) : null, path: phones.length > 1 ? `${path}.phones[${j}]` : path }),
      );
    });

    // Categories: each term travels whole, so one Patchwork lacks can be added.
    const categories: string[] = [];
    const taxonomyKey = 'service_taxonomys' in item ? 'service_taxonomys' : 'service_taxonomies';
    r.list(item, taxonomyKey, taxonomyKey).forEach((st, i) => {
      const path = `${taxonomyKey}[${i}]`;
      const taxonomy = r.object(st, 'taxonomy', `${path}.taxonomy`);
      const termId = taxonomy ? r.text(taxonomy, 'id', `${path}.taxonomy.id`)?.trim() : r.text(st, 'taxonomy_id', `${path}.taxonomy_id`)?.trim();
      if (!termId) return r.fail(`${path}.taxonomy.id`, 'Every category needs an id');
      if (termId.length > 200) return r.fail(`${path}.taxonomy.id`, 'A category’s id must be 200 characters or fewer');
      const name = taxonomy ? r.text(taxonomy, 'name', `${path}.taxonomy.name`)?.trim() : null;
      if (name && name.length > 100) return r.fail(`${path}.taxonomy.name`, 'A category’s name must be 100 characters or fewer');
      categories.push(termId);
      if (!terms.has(termId))
        terms.set(termId, {
          id: termId,
          name: name || termId,
          vocabulary: taxonomy ? (r.text(taxonomy, 'vocabulary', `${path}.taxonomy.vocabulary`)?.trim() ?? null) : null,
          parentId: taxonomy ? (r.text(taxonomy, 'parent', `${path}.taxonomy.parent`)?.trim() ?? r.text(taxonomy, 'parent_id', `${path}.taxonomy.parent_id`)?.trim() ?? null) : null,
        });
    });
    if (!categories.length) {
      // Patchwork files every record under at least one category: the top of its kind, said in the result.
      categories.push(kind === 'place' ? 'places' : 'activities');
      note(`had no categories: filed under ${kind === 'place' ? 'Places' : 'Groups and activities'}`);
    }

    for (const key of notKept) if (r.list(item, key, key).length) note(`had ${key}, which Patchwork does not keep`);
    for (const key of ['accreditations', 'deliverable_type', 'attending_access'] as const) if (r.text(item, key, key) !== null) note(`had ${key}, which Patchwork does not keep`);

    const input = {
      organisation: {
        id: keptId(r.text(org, 'id', 'organization.id'), `${importer.id}:organization`) ?? undefined,
        name: r.text(org, 'name', 'organization.name') ?? '',
        description: r.text(org, 'description', 'organization.description'),
        url: r.text(org, 'url', 'organization.url'),
        email: r.text(org, 'email', 'organization.email'),
        phone: r.text(org, 'phone', 'organization.phone'),
      },
      kind,
      name: r.text(item, 'name', 'name') ?? '',
      description: r.text(item, 'description', 'description'),
      url: r.text(item, 'url', 'url'),
      email: r.text(item, 'email', 'email'),
      status: statusText as ServiceStatus,
      free,
      fees,
      eligibility: eligibilityTexts.length ? eligibilityTexts.join('; ') : null,
      minimumAge: mins.length ? Math.min(...mins) : null,
      maximumAge: maxes.length ? Math.max(...maxes) : null,
      wheelchairAccessible: r.boolean(extra, 'wheelchair_accessible', 'x-patchwork.wheelchair_accessible'),
      accessibility: r.text(extra, 'accessibility', 'x-patchwork.accessibility'),
      lastChecked: r.date(item, 'assured_date', 'assured_date'),
      categories,
      locations,
      schedules: schedules.map((s) => s.input),
      contacts: contacts.map((c) => c.input),
      sample: r.boolean(extra, 'sample', 'x-patchwork.sample') ?? false,
    };
    const fieldPaths: Record<string, string> = {
      id: 'id',
      name: 'name',
      organisationName: 'organization.name',
      kind: 'x-patchwork.kind',
      status: 'status',
      description: 'description',
      url: 'url',
      email: 'email',
      minimumAge: 'eligibilitys[0].minimum_age',
      maximumAge: 'eligibilitys[0].maximum_age',
      lastChecked: 'assured_date',
      categories: 'service_taxonomys',
      postcode: 'service_at_locations',
    };
    records.push({
      number,
      where,
      fieldOf: (field) => {
        const indexed = /^(postcode|schedule|contact)(\d+)$/.exec(field);
        if (indexed) {
          const i = Number(indexed[2]);
          if (indexed[1] === 'postcode') return locationPaths[i] ? `${locationPaths[i]}.location.physical_addresses[0].postal_code` : 'service_at_locations';
          if (indexed[1] === 'schedule') return schedules[i]?.path ?? 'regular_schedules';
          return contacts[i]?.path ?? 'contacts';
        }
        return fieldPaths[field] ?? field;
      },
      id: serviceId,
      input,
      scheduleIds: schedules.map((s, j) => keptId(s.rawId, `${serviceId}:schedule`) ?? nameUuid(`${serviceId}:schedule-number:${j}`)),
      contactIds: contacts.map((c) => c.id),
      serviceLocationIds,
      scheduleLocations: schedules.map((s) => s.location),
      organisationSample: orgSample,
    });
  });
  return plan();
}
