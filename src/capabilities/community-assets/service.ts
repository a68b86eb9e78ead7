import { eq, inArray, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { pointEwkt } from '../../platform/db/geometry.ts';
import { locatePoints } from '../geography/locator.ts';
import { findPostcode } from '../geography/postcodes.ts';
import {
  assetKinds,
  contactKinds,
  directoryContacts,
  directoryLocations,
  directoryOrganisations,
  directorySchedules,
  directoryServiceLocations,
  directoryServices,
  directoryServiceTaxonomies,
  directoryTaxonomyTerms,
  scheduleFrequencies,
  serviceStatuses,
  type AssetKind,
  type ServiceStatus,
} from './schema.ts';

/**
 * The directory's records: saving a service with its organisation, locations, schedules, contacts and
 * categories in one transaction, reading one back whole, finding likely duplicates and merging them.
 * Every other part of the capability (search, suggestions, import and export, gaps) builds on these.
 */

/** A record not confirmed for this long is flagged for review. */
export const staleAfterDays = 365;
/** "Same name nearby" means within this distance. */
export const duplicateNameMetres = 500;
/** The shipped vocabulary's name, as Open Referral taxonomies carry one. */
export const defaultVocabulary = 'patchwork-community-assets';

export class AssetError extends Error {
  constructor(
    public readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'AssetError';
  }
}

export type ScheduleInput = {
  /** Kept when given, so an Open Referral import keeps the ids of the feed it came from. */
  id?: string;
  freq: (typeof scheduleFrequencies)[number];
  interval: number;
  /** "MO,TH" weekly; "2TU" or "-1FR" monthly. */
  byDay: string;
  /** "HH:MM" */
  opensAt: string | null;
  closesAt: string | null;
  validFrom: string | null;
  validTo: string | null;
  description: string | null;
};
export type ContactInput = { /** Kept when given, as a schedule's is. */ id?: string; kind: (typeof contactKinds)[number]; name: string | null; title: string | null; phone: string | null; email: string | null; public: boolean };
export type LocationInput = {
  /** Kept when given (Open Referral imports carry their ids); otherwise a location of the same owner, name, address and postcode is reused. */
  id?: string;
  name: string | null;
  address1: string | null;
  city: string | null;
  postcode: string | null;
  /** When both are null the postcode places it; with neither, the service has no fixed place. */
  longitude: number | null;
  latitude: number | null;
  accessibility: string | null;
};
export type DirectoryOrganisationInput = { id?: string; name: string; description: string | null; url: string | null; email: string | null; phone: string | null };
/** What a record says of itself, the same as entered and as read back. */
type ServiceFields = {
  kind: AssetKind;
  name: string;
  description: string | null;
  url: string | null;
  email: string | null;
  status: ServiceStatus;
  free: boolean | null;
  fees: string | null;
  eligibility: string | null;
  minimumAge: number | null;
  maximumAge: number | null;
  wheelchairAccessible: boolean | null;
  accessibility: string | null;
};
export type ServiceInput = ServiceFields & {
  organisation: DirectoryOrganisationInput;
  /** yyyy-mm-dd; today when not given. */
  lastChecked: string | null;
  /** Taxonomy term ids. */
  categories: string[];
  locations: LocationInput[];
  schedules: ScheduleInput[];
  contacts: ContactInput[];
  sample?: boolean;
};
export type Owner = { organisationId: string; userId: string | null };

/** Folds a name for comparison: "The Old Library & Community Center" → "old library community centre". */
export function nameKey(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((w) => w && !['the', 'and', 'of'].includes(w))
    .map((w) => (w === 'center' ? 'centre' : w === 'st' ? 'saint' : w))
    .join(' ');
}

/** A phone number's digits, with a UK "+44"/"0044" prefix turned back into "0", so one number written two ways matches. */
export function phoneKey(phone: string | null): string | null {
  if (!phone) return null;
  let digits = phone.replace(/\D/g, '');
  if (digits.startsWith('0044')) digits = `0${digits.slice(4)}`;
  else if (digits.startsWith('44') && phone.trim().startsWith('+')) digits = `0${digits.slice(2)}`;
  return digits.length >= 6 ? digits : null;
}

const days = { MO: 'Monday', TU: 'Tuesday', WE: 'Wednesday', TH: 'Thursday', FR: 'Friday', SA: 'Saturday', SU: 'Sunday' } as const;
export type DayCode = keyof typeof days;
export const dayCodes = Object.keys(days) as DayCode[];
export const dayName = (code: DayCode) => days[code];
const ordinals: Record<string, string> = { '1': 'first', '2': 'second', '3': 'third', '4': 'fourth', '5': 'fifth', '-1': 'last' };
const list = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/** "Every Tuesday and Thursday, 10:00 to 12:00", "The second Tuesday of every month, 18:30 to 20:00". */
export function describeSchedule(s: Pick<ScheduleInput, 'freq' | 'interval' | 'byDay' | 'opensAt' | 'closesAt'>): string {
  const parts = s.byDay.split(',').map((d) => /^(-?\d)?([A-Z]{2})$/.exec(d)!);
  let when: string;
  if (s.freq === 'WEEKLY') {
    const names = parts.map((p) => days[p[2] as DayCode]);
    when = s.interval === 1 ? `Every ${list(names)}` : s.interval === 2 ? `Every other ${list(names)}` : `Every ${s.interval} weeks on ${list(names)}`;
  } else {
    const names = parts.map((p) => `${p[1] ? `${ordinals[p[1]] ?? p[1]} ` : ''}${days[p[2] as DayCode]}`);
    when = `The ${list(names)} of ${s.interval === 1 ? 'every month' : `every ${s.interval} months`}`;
  }
  const hhmm = (t: string | null) => (t ? t.slice(0, 5) : null);
  const opens = hhmm(s.opensAt);
  const closes = hhmm(s.closesAt);
  return opens && closes ? `${when}, ${opens} to ${closes}` : opens ? `${when}, from ${opens}` : when;
}

const timePattern = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const byDayPattern = /^(-?[1-5]?(MO|TU|WE|TH|FR|SA|SU))(,-?[1-5]?(MO|TU|WE|TH|FR|SA|SU))*$/;
const emailPattern = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const urlPattern = /^https?:\/\/[^\s<>"]+$/i;

/** Checks everything that can be checked without the database; the first problem throws, naming its field. */
export function checkService(input: ServiceInput): void {
  const fail = (field: string, message: string): never => {
    throw new AssetError(field, message);
  };
  const name = input.name.trim();
  if (!name) fail('name', 'Enter the name of the asset or activity');
  if (name.length > 200) fail('name', 'The name must be 200 characters or fewer');
  if (!nameKey(name)) fail('name', 'The name must contain letters or numbers');
  if (!input.organisation.name.trim()) fail('organisationName', 'Enter the organisation or group that runs it');
  if (input.organisation.name.length > 200) fail('organisationName', 'The organisation’s name must be 200 characters or fewer');
  if (!(assetKinds as readonly string[]).includes(input.kind)) fail('kind', 'Choose whether it is a place or a group or activity');
  if (!(serviceStatuses as readonly string[]).includes(input.status)) fail('status', `The status must be one of: ${serviceStatuses.join(', ')}`);
  if ((input.description ?? '').length > 5000) fail('description', 'The description must be 5,000 characters or fewer');
  if (input.url && !urlPattern.test(input.url)) fail('url', 'Enter a website address starting http:// or https://');
  if (input.email && !emailPattern.test(input.email)) fail('email', 'Enter an email address like name@example.org');
  for (const [field, age] of [['minimumAge', input.minimumAge], ['maximumAge', input.maximumAge]] as const) {
    if (age !== null && (!Number.isInteger(age) || age < 0 || age > 120)) fail(field, 'Ages must be whole numbers from 0 to 120');
  }
  if (input.minimumAge !== null && input.maximumAge !== null && input.minimumAge > input.maximumAge) fail('maximumAge', 'The oldest age must not be below the youngest');
  if (input.lastChecked !== null && !datePattern.test(input.lastChecked)) fail('lastChecked', 'The date last checked must be a date like 2026-11-23');
  if (!input.categories.length) fail('categories', 'Choose at least one category');
  if (input.kind === 'place' && !input.locations.length) fail('postcode', 'A place needs an address: enter its postcode');
  input.locations.forEach((l, i) => {
    const at = i ? ` (location ${i + 1})` : '';
    if ((l.longitude === null) !== (l.latitude === null)) fail('postcode', `Give both longitude and latitude, or neither${at}`);
    if (l.longitude === null && !l.postcode) fail('postcode', `Enter a postcode so the location can be placed${at}`);
    if (l.latitude !== null && l.longitude !== null && (l.latitude < 49.8 || l.latitude > 55.9 || l.longitude < -6.5 || l.longitude > 1.8)) fail('postcode', `The location${at} is not in England`);
  });
  input.schedules.forEach((s, i) => {
    const at = ` (time ${i + 1})`;
    if (!(scheduleFrequencies as readonly string[]).includes(s.freq)) fail(`schedule${i}`, `Choose how often it happens${at}`);
    if (!byDayPattern.test(s.byDay)) fail(`schedule${i}`, `Choose the day it happens${at}`);
    if (s.freq === 'WEEKLY' && /\d/.test(s.byDay)) fail(`schedule${i}`, `A weekly time is on plain days (MO, TU…), not “second Tuesday”${at}`);
    if (!Number.isInteger(s.interval) || s.interval < 1 || s.interval > 12) fail(`schedule${i}`, `How often must be every 1 to 12 weeks or months${at}`);
    for (const t of [s.opensAt, s.closesAt]) if (t !== null && !timePattern.test(t)) fail(`schedule${i}`, `Times must be like 09:30${at}`);
    if (s.opensAt && s.closesAt && s.closesAt <= s.opensAt) fail(`schedule${i}`, `It must finish after it starts${at}`);
    for (const d of [s.validFrom, s.validTo]) if (d !== null && !datePattern.test(d)) fail(`schedule${i}`, `Dates must be like 2026-11-23${at}`);
  });
  input.contacts.forEach((c, i) => {
    const at = ` (contact ${i + 1})`;
    if (!(contactKinds as readonly string[]).includes(c.kind)) fail(`contact${i}`, `Say whose contact details these are${at}`);
    if (!c.phone && !c.email && !c.name) fail(`contact${i}`, `Enter a name, phone number or email${at}`);
    if (c.email && !emailPattern.test(c.email)) fail(`contact${i}`, `Enter an email address like name@example.org${at}`);
    if (c.phone && !phoneKey(c.phone)) fail(`contact${i}`, `Enter a phone number with at least 6 digits${at}`);
    if (c.public && c.kind === 'private-individual') fail(`contact${i}`, `A private individual’s own contact details are never published: untick “show publicly” or say they are the organisation’s${at}`);
  });
}

/** Places a location: its own coordinates, or its postcode's; an unknown postcode is refused, never guessed. */
async function placeOf(tx: Tx, location: LocationInput): Promise<{ lon: number; lat: number; postcode: string | null } | null> {
  let postcode: string | null = null;
  if (location.postcode) {
    const found = await findPostcode(tx, location.postcode);
    const record = found.postcode;
    if (!record) {
      // Coordinates given with a postcode we do not know still place the asset; the postcode is kept as typed.
      if (location.longitude !== null && location.latitude !== null) return { lon: location.longitude, lat: location.latitude, postcode: location.postcode.trim().toUpperCase() };
      throw new AssetError('postcode', found.message ?? `${location.postcode} is not a postcode Patchwork knows`);
    }
    postcode = record.postcode;
    if (location.longitude === null || location.latitude === null) {
      if (record.longitude === null || record.latitude === null) throw new AssetError('postcode', found.message ?? `${postcode} cannot be placed on a map`);
      return { lon: record.longitude, lat: record.latitude, postcode };
    }
  }
  if (location.longitude === null || location.latitude === null) return null;
  return { lon: location.longitude, lat: location.latitude, postcode };
}

/**
 * Sets each location's 2021 LSOA, 2025 ward and district from its point, by the boundaries Patchwork holds.
 * The in-app locator reads only the boundaries around the points once, so an import of thousands costs about
 * what one does (a PostGIS join per point is slow on PGlite, and on PostgreSQL its planner can scan every
 * LSOA's index entry for each point).
 */
export async function assignAreas(tx: Tx, locationIds: string[]): Promise<void> {
  for (let i = 0; i < locationIds.length; i += 5000) {
    const ids = locationIds.slice(i, i + 5000);
    const placed = await queryRows<{ id: string; lon: number; lat: number }>(
      tx,
      sql`select id, ST_X(location) as lon, ST_Y(location) as lat from ${directoryLocations} where location is not null and id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})`,
    );
    if (!placed.length) continue;
    const codes = await locatePoints(tx, placed.map((p) => ({ lon: Number(p.lon), lat: Number(p.lat) })), ['lsoa21', 'ward25']);
    const rows = placed.map((p, n) => sql`(${p.id}::uuid, ${codes[n]!.lsoa21}::text, ${codes[n]!.ward25}::text)`);
    await tx.execute(sql`
      update ${directoryLocations} l set
        location_bng = ST_Transform(l.location, 27700),
        lsoa21 = v.lsoa21,
        ward25 = v.ward25,
        lad25 = (select k.to_code from area_lookups k where k.from_vintage = 'ward25' and k.from_code = v.ward25 and k.to_vintage = 'lad25' order by k.to_code limit 1),
        updated_at = now()
      from (values ${sql.join(rows, sql`, `)}) as v(id, lsoa21, ward25)
      where l.id = v.id`);
  }
}

async function directoryOrganisationFor(tx: Tx, input: DirectoryOrganisationInput, owner: Owner): Promise<string> {
  const values = { name: input.name.trim(), description: input.description, url: input.url, email: input.email, phone: input.phone };
  if (input.id) {
    const [existing] = await tx.select({ id: directoryOrganisations.id, owner: directoryOrganisations.ownerOrganisationId }).from(directoryOrganisations).where(eq(directoryOrganisations.id, input.id));
    if (existing && existing.owner !== owner.organisationId) throw new AssetError('organisationName', 'That organisation’s record is kept by another partner');
    if (existing) {
      await tx.update(directoryOrganisations).set({ ...values, updatedAt: new Date() }).where(eq(directoryOrganisations.id, input.id));
      return input.id;
    }
    await tx.insert(directoryOrganisations).values({ id: input.id, ownerOrganisationId: owner.organisationId, ...values });
    return input.id;
  }
  // The same organisation named again by the same partner is one record, not another.
  const [same] = await queryRows<{ id: string }>(tx, sql`select id from ${directoryOrganisations} where owner_organisation_id = ${owner.organisationId} and lower(name) = lower(${values.name}) order by created_at limit 1`);
  if (same) {
    const updates = Object.fromEntries(Object.entries(values).filter(([k, v]) => k !== 'name' && v !== null));
    if (Object.keys(updates).length) await tx.update(directoryOrganisations).set({ ...updates, updatedAt: new Date() }).where(eq(directoryOrganisations.id, same.id));
    return same.id;
  }
  const [made] = await tx.insert(directoryOrganisations).values({ ownerOrganisationId: owner.organisationId, ...values }).returning({ id: directoryOrganisations.id });
  return made!.id;
}

async function locationFor(tx: Tx, input: LocationInput, owner: Owner): Promise<string> {
  const place = await placeOf(tx, input);
  const values = {
    name: input.name,
    address1: input.address1,
    city: input.city,
    postcode: place?.postcode ?? input.postcode,
    location: place ? pointEwkt(place.lon, place.lat) : null,
    accessibility: input.accessibility,
  };
  if (input.id) {
    const [existing] = await tx.select({ owner: directoryLocations.ownerOrganisationId }).from(directoryLocations).where(eq(directoryLocations.id, input.id));
    if (existing && existing.owner !== owner.organisationId) throw new AssetError('postcode', 'That location’s record is kept by another partner');
    if (existing) await tx.update(directoryLocations).set({ ...values, updatedAt: new Date() }).where(eq(directoryLocations.id, input.id));
    else await tx.insert(directoryLocations).values({ id: input.id, ownerOrganisationId: owner.organisationId, ...values });
    return input.id;
  }
  const [same] = await queryRows<{ id: string }>(
    tx,
    sql`select id from ${directoryLocations} where owner_organisation_id = ${owner.organisationId}
          and coalesce(lower(name), '') = coalesce(lower(${values.name}::text), '') and coalesce(lower(address_1), '') = coalesce(lower(${values.address1}::text), '')
          and coalesce(postcode, '') = coalesce(${values.postcode}::text, '')
          and ((location is null and ${values.location}::text is null) or ST_Equals(location, ${values.location}::geometry))
        order by created_at limit 1`,
  );
  if (same) {
    if (input.accessibility !== null) await tx.update(directoryLocations).set({ accessibility: input.accessibility, updatedAt: new Date() }).where(eq(directoryLocations.id, same.id));
    return same.id;
  }
  const [made] = await tx.insert(directoryLocations).values({ ownerOrganisationId: owner.organisationId, ...values }).returning({ id: directoryLocations.id });
  return made!.id;
}

async function checkCategories(tx: Tx, categories: string[], ownerOrganisationId: string): Promise<void> {
  const unique = [...new Set(categories)];
  const found = await tx
    .select({ id: directoryTaxonomyTerms.id, owner: directoryTaxonomyTerms.ownerOrganisationId })
    .from(directoryTaxonomyTerms)
    .where(inArray(directoryTaxonomyTerms.id, unique));
  const usable = new Set(found.filter((t) => t.owner === null || t.owner === ownerOrganisationId).map((t) => t.id));
  const missing = unique.filter((c) => !usable.has(c));
  if (missing.length) throw new AssetError('categories', `Unknown ${missing.length === 1 ? 'category' : 'categories'}: ${missing.slice(0, 5).join(', ')}`);
}

const today = () => new Date().toISOString().slice(0, 10);

/** Writes a service's own row and replaces its children; shared by create, update and import. */
export async function writeService(tx: Tx, id: string | null, input: ServiceInput, owner: Owner): Promise<{ id: string; locationIds: string[] }> {
  checkService(input);
  await checkCategories(tx, input.categories, owner.organisationId);
  const directoryOrganisationId = await directoryOrganisationFor(tx, input.organisation, owner);
  const row = {
    directoryOrganisationId,
    kind: input.kind,
    name: input.name.trim(),
    nameKey: nameKey(input.name),
    description: input.description,
    url: input.url,
    email: input.email,
    status: input.status,
    free: input.free,
    fees: input.fees,
    eligibility: input.eligibility,
    minimumAge: input.minimumAge,
    maximumAge: input.maximumAge,
    wheelchairAccessible: input.wheelchairAccessible,
    accessibility: input.accessibility,
    lastChecked: input.lastChecked ?? today(),
    sample: input.sample ?? false,
  };
  let serviceId: string;
  const [existing] = id ? await tx.select({ id: directoryServices.id }).from(directoryServices).where(eq(directoryServices.id, id)) : [];
  if (existing) {
    serviceId = existing.id;
    await tx.update(directoryServices).set({ ...row, updatedAt: new Date() }).where(eq(directoryServices.id, serviceId));
    await tx.delete(directoryServiceLocations).where(eq(directoryServiceLocations.serviceId, serviceId));
    await tx.delete(directorySchedules).where(eq(directorySchedules.serviceId, serviceId));
    await tx.delete(directoryContacts).where(eq(directoryContacts.serviceId, serviceId));
    await tx.delete(directoryServiceTaxonomies).where(eq(directoryServiceTaxonomies.serviceId, serviceId));
  } else {
    const [made] = await tx
      .insert(directoryServices)
      .values({ ...(id ? { id } : {}), ...row, ownerOrganisationId: owner.organisationId, createdBy: owner.userId })
      .returning({ id: directoryServices.id });
    serviceId = made!.id;
  }
  const locationIds: string[] = [];
  for (const location of input.locations) {
    const locationId = await locationFor(tx, location, owner);
    if (!locationIds.includes(locationId)) {
      locationIds.push(locationId);
      await tx.insert(directoryServiceLocations).values({ serviceId, locationId });
    }
  }
  if (input.schedules.length) await tx.insert(directorySchedules).values(input.schedules.map((s) => ({ serviceId, ...s })));
  if (input.contacts.length) await tx.insert(directoryContacts).values(input.contacts.map((c, position) => ({ serviceId, ...c, phoneKey: phoneKey(c.phone), position })));
  await tx.insert(directoryServiceTaxonomies).values([...new Set(input.categories)].map((termId) => ({ serviceId, termId })));
  return { id: serviceId, locationIds };
}

/** Adds a record to the directory. Unknown postcodes and categories are refused with the reason, and nothing is saved. */
export async function createService(db: Db, input: ServiceInput, owner: Owner, actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    const { id, locationIds } = await writeService(tx, null, input, owner);
    await assignAreas(tx, locationIds);
    await recordAudit(tx, { actor, action: 'directory.service.created', objectType: 'directory_service', objectId: id, details: { name: input.name, owner: owner.organisationId } });
    return id;
  });
}

export async function updateService(db: Db, id: string, input: ServiceInput, owner: Owner, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    const { locationIds } = await writeService(tx, id, input, owner);
    await assignAreas(tx, locationIds);
    await removeOrphanLocations(tx, owner.organisationId);
    await recordAudit(tx, { actor, action: 'directory.service.updated', objectType: 'directory_service', objectId: id, details: { name: input.name } });
  });
}

/** Locations no service uses any more, left behind by an edit or a merge. */
export async function removeOrphanLocations(tx: Tx, ownerOrganisationId: string): Promise<void> {
  await tx.execute(sql`delete from ${directoryLocations} l where l.owner_organisation_id = ${ownerOrganisationId}
    and not exists (select 1 from ${directoryServiceLocations} sl where sl.location_id = l.id)`);
}

export async function markChecked(db: Db, id: string, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(directoryServices).set({ lastChecked: today(), updatedAt: new Date() }).where(eq(directoryServices.id, id));
    await recordAudit(tx, { actor, action: 'directory.service.checked', objectType: 'directory_service', objectId: id, details: {} });
  });
}

export type AreaRef = { code: string; name: string } | null;
export type ServiceRecord = ServiceFields & {
  id: string;
  ownerOrganisationId: string;
  ownerName: string;
  ownerSlug: string;
  lastChecked: string;
  stale: boolean;
  mergedIntoId: string | null;
  sample: boolean;
  createdAt: Date;
  updatedAt: Date;
  organisation: { id: string; name: string; description: string | null; url: string | null; email: string | null; phone: string | null; sample: boolean };
  locations: (LocationInput & { id: string; serviceLocationId: string; lsoa21: AreaRef; ward25: AreaRef; lad25: AreaRef })[];
  schedules: (ScheduleInput & { id: string; serviceLocationId: string | null; text: string })[];
  contacts: (ContactInput & { id: string })[];
  categories: { id: string; name: string; vocabulary: string; parentId: string | null }[];
};

/** One record whole, or null. Contacts are all returned: callers showing the public decide with `publicContacts`. */
export async function getService(db: Tx, id: string): Promise<ServiceRecord | null> {
  const [record] = await getServices(db, [id]);
  return record ?? null;
}

/**
 * Many records whole, in the order asked, in five queries however many there are: the same records
 * for record pages (getService), exports and API pages.
 */
export async function getServices(db: Tx, ids: string[]): Promise<ServiceRecord[]> {
  if (!ids.length) return [];
  const list = sql.param(ids);
  const [services, locations, schedules, contacts, categories] = [
    await queryRows<Record<string, unknown>>(
      db,
      sql`select s.id, s.owner_organisation_id, o.name as owner_name, o.slug as owner_slug, s.kind, s.name, s.description, s.url, s.email, s.status, s.free, s.fees,
            s.eligibility, s.minimum_age, s.maximum_age, s.wheelchair_accessible, s.accessibility, to_char(s.last_checked, 'YYYY-MM-DD') as last_checked,
            s.last_checked < current_date - ${staleAfterDays}::int as stale, s.merged_into_id, s.sample, s.created_at, s.updated_at,
            json_build_object('id', d.id, 'name', d.name, 'description', d.description, 'url', d.url, 'email', d.email, 'phone', d.phone, 'sample', d.sample) as organisation
          from ${directoryServices} s join organisations o on o.id = s.owner_organisation_id join directory_organisations d on d.id = s.directory_organisation_id
          where s.id = any(${list}::uuid[])`,
    ),
    await queryRows<Record<string, unknown>>(
      db,
      sql`select sl.service_id, l.id, sl.id as service_location_id, l.name, l.address_1, l.city, l.postcode, ST_X(l.location) as longitude, ST_Y(l.location) as latitude, l.accessibility,
            case when l.lsoa21 is null then null else json_build_object('code', l.lsoa21, 'name', coalesce((select name from areas where vintage = 'lsoa21' and code = l.lsoa21), l.lsoa21)) end as lsoa21,
            case when l.ward25 is null then null else json_build_object('code', l.ward25, 'name', coalesce((select name from areas where vintage = 'ward25' and code = l.ward25), l.ward25)) end as ward25,
            case when l.lad25 is null then null else json_build_object('code', l.lad25, 'name', coalesce((select name from areas where vintage = 'lad25' and code = l.lad25), l.lad25)) end as lad25
          from directory_service_locations sl join directory_locations l on l.id = sl.location_id where sl.service_id = any(${list}::uuid[]) order by l.name nulls last, l.id`,
    ),
    await queryRows<Record<string, unknown>>(
      db,
      sql`select service_id, id, service_location_id, freq, interval, by_day, to_char(opens_at, 'HH24:MI') as opens_at, to_char(closes_at, 'HH24:MI') as closes_at,
            to_char(valid_from, 'YYYY-MM-DD') as valid_from, to_char(valid_to, 'YYYY-MM-DD') as valid_to, description
          from directory_schedules where service_id = any(${list}::uuid[]) order by opens_at nulls last, by_day, id`,
    ),
    await queryRows<Record<string, unknown>>(
      db,
      sql`select service_id, id, kind, name, title, phone, email, public from directory_contacts where service_id = any(${list}::uuid[]) order by position, id`,
    ),
    await queryRows<Record<string, unknown>>(
      db,
      sql`select st.service_id, t.id, t.name, t.vocabulary, t.parent_id from directory_service_taxonomies st join directory_taxonomy_terms t on t.id = st.term_id
          where st.service_id = any(${list}::uuid[]) order by t.name, t.id`,
    ),
  ];
  const group = (rows: Record<string, unknown>[]) => {
    const by = new Map<string, Record<string, unknown>[]>();
    for (const r of rows) {
      const key = r.service_id as string;
      by.set(key, [...(by.get(key) ?? []), r]);
    }
    return (key: string) => by.get(key) ?? [];
  };
  const [locationsOf, schedulesOf, contactsOf, categoriesOf] = [group(locations), group(schedules), group(contacts), group(categories)];
  const byId = new Map(
    services.map((s): [string, ServiceRecord] => {
      const key = s.id as string;
      return [
        key,
        {
          id: key,
          ownerOrganisationId: s.owner_organisation_id as string,
          ownerName: s.owner_name as string,
          ownerSlug: s.owner_slug as string,
          kind: s.kind as AssetKind,
          name: s.name as string,
          description: s.description as string | null,
          url: s.url as string | null,
          email: s.email as string | null,
          status: s.status as ServiceStatus,
          free: s.free as boolean | null,
          fees: s.fees as string | null,
          eligibility: s.eligibility as string | null,
          minimumAge: s.minimum_age as number | null,
          maximumAge: s.maximum_age as number | null,
          wheelchairAccessible: s.wheelchair_accessible as boolean | null,
          accessibility: s.accessibility as string | null,
          lastChecked: s.last_checked as string,
          stale: s.stale as boolean,
          mergedIntoId: s.merged_into_id as string | null,
          sample: s.sample as boolean,
          createdAt: new Date(s.created_at as string),
          updatedAt: new Date(s.updated_at as string),
          organisation: json(s.organisation) as ServiceRecord['organisation'],
          locations: locationsOf(key).map((l) => ({
            id: l.id as string,
            serviceLocationId: l.service_location_id as string,
            name: l.name as string | null,
            address1: l.address_1 as string | null,
            city: l.city as string | null,
            postcode: l.postcode as string | null,
            longitude: l.longitude === null ? null : Number(l.longitude),
            latitude: l.latitude === null ? null : Number(l.latitude),
            accessibility: l.accessibility as string | null,
            lsoa21: json(l.lsoa21) as AreaRef,
            ward25: json(l.ward25) as AreaRef,
            lad25: json(l.lad25) as AreaRef,
          })),
          schedules: schedulesOf(key).map((r) => {
            const schedule = {
              freq: r.freq as ScheduleInput['freq'],
              interval: Number(r.interval),
              byDay: r.by_day as string,
              opensAt: r.opens_at as string | null,
              closesAt: r.closes_at as string | null,
              validFrom: r.valid_from as string | null,
              validTo: r.valid_to as string | null,
              description: r.description as string | null,
            };
            return { id: r.id as string, serviceLocationId: r.service_location_id as string | null, ...schedule, text: describeSchedule(schedule) };
          }),
          contacts: contactsOf(key).map((c) => ({
            id: c.id as string,
            kind: c.kind as ContactInput['kind'],
            name: c.name as string | null,
            title: c.title as string | null,
            phone: c.phone as string | null,
            email: c.email as string | null,
            public: c.public as boolean,
          })),
          categories: categoriesOf(key).map((t) => ({ id: t.id as string, name: t.name as string, vocabulary: t.vocabulary as string, parentId: t.parent_id as string | null })),
        },
      ];
    }),
  );
  return ids.flatMap((key) => byId.get(key) ?? []);
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

/** The contacts anyone may see: those the organisation made public, and never a private individual's. */
export function publicContacts(record: Pick<ServiceRecord, 'contacts'>): ServiceRecord['contacts'] {
  return record.contacts.filter((c) => c.public && c.kind !== 'private-individual');
}

/** A record as the input that would save it again: for edit forms, and for merging and round trips. */
export function inputOf(record: ServiceRecord): ServiceInput {
  return {
    organisation: { id: record.organisation.id, name: record.organisation.name, description: record.organisation.description, url: record.organisation.url, email: record.organisation.email, phone: record.organisation.phone },
    kind: record.kind,
    name: record.name,
    description: record.description,
    url: record.url,
    email: record.email,
    status: record.status,
    free: record.free,
    fees: record.fees,
    eligibility: record.eligibility,
    minimumAge: record.minimumAge,
    maximumAge: record.maximumAge,
    wheelchairAccessible: record.wheelchairAccessible,
    accessibility: record.accessibility,
    lastChecked: record.lastChecked,
    categories: record.categories.map((c) => c.id),
    locations: record.locations.map((l) => ({ id: l.id, name: l.name, address1: l.address1, city: l.city, postcode: l.postcode, longitude: l.longitude, latitude: l.latitude, accessibility: l.accessibility })),
    schedules: record.schedules.map(({ freq, interval, byDay, opensAt, closesAt, validFrom, validTo, description }) => ({ freq, interval, byDay, opensAt, closesAt, validFrom, validTo, description })),
    contacts: record.contacts.map(({ kind, name, title, phone, email, public: isPublic }) => ({ kind, name, title, phone, email, public: isPublic })),
    sample: record.sample,
  };
}

export type DuplicateReason = 'same name nearby' | 'same phone' | 'same postcode';
export type Duplicate = { id: string; name: string; ownerName: string; postcode: string | null; reasons: DuplicateReason[]; metres: number | null };

/**
 * Records that may be the same asset as a candidate: the same name (folded) within 500 m, or anywhere when
 * either has no location; the same phone number; or the same postcode. Merged-away records are left out.
 */
export async function findDuplicates(
  db: Tx,
  candidate: { name: string; postcode: string | null; phones: string[]; longitude: number | null; latitude: number | null },
  excludeId: string | null = null,
): Promise<Duplicate[]> {
  const key = nameKey(candidate.name);
  const phones = candidate.phones.map(phoneKey).filter((p): p is string => p !== null);
  const postcode = candidate.postcode ? ((await findPostcode(db, candidate.postcode)).postcode?.postcode ?? null) : null;
  const point = candidate.longitude !== null && candidate.latitude !== null ? sql`ST_Transform(${pointEwkt(candidate.longitude, candidate.latitude)}::geometry, 27700)` : sql`null::geometry`;
  const rows = await queryRows<{ id: string; name: string; owner_name: string; postcode: string | null; same_name: boolean; same_phone: boolean; same_postcode: boolean; metres: number | null }>(
    db,
    sql`with c as (select ${point} as bng)
        select s.id, s.name, o.name as owner_name,
          (select l.postcode from ${directoryServiceLocations} sl join ${directoryLocations} l on l.id = sl.location_id where sl.service_id = s.id order by l.postcode nulls last limit 1) as postcode,
          s.name_key = ${key} and (c.bng is null or not exists (select 1 from ${directoryServiceLocations} sl join ${directoryLocations} l on l.id = sl.location_id where sl.service_id = s.id and l.location_bng is not null)
            or exists (select 1 from ${directoryServiceLocations} sl join ${directoryLocations} l on l.id = sl.location_id where sl.service_id = s.id and ST_DWithin(l.location_bng, c.bng, ${duplicateNameMetres}))) as same_name,
          ${phones.length ? sql`exists (select 1 from ${directoryContacts} ct where ct.service_id = s.id and ct.phone_key in (${sql.join(phones.map((p) => sql`${p}`), sql`, `)}))` : sql`false`} as same_phone,
          ${postcode ? sql`exists (select 1 from ${directoryServiceLocations} sl join ${directoryLocations} l on l.id = sl.location_id where sl.service_id = s.id and l.postcode = ${postcode})` : sql`false`} as same_postcode,
          (select round(min(ST_Distance(l.location_bng, c.bng))) from ${directoryServiceLocations} sl join ${directoryLocations} l on l.id = sl.location_id where sl.service_id = s.id) as metres
        from ${directoryServices} s join organisations o on o.id = s.owner_organisation_id cross join c
        where s.merged_into_id is null ${excludeId ? sql`and s.id <> ${excludeId}` : sql``}
          and (s.name_key = ${key}
            ${phones.length ? sql`or s.id in (select ct.service_id from ${directoryContacts} ct where ct.phone_key in (${sql.join(phones.map((p) => sql`${p}`), sql`, `)}))` : sql``}
            ${postcode ? sql`or s.id in (select sl.service_id from ${directoryServiceLocations} sl join ${directoryLocations} l on l.id = sl.location_id where l.postcode = ${postcode})` : sql``})
        order by s.name, s.id
        limit 50`,
  );
  return rows
    .map((r) => ({
      id: r.id,
      name: r.name,
      ownerName: r.owner_name,
      postcode: r.postcode,
      metres: r.metres === null ? null : Number(r.metres),
      reasons: [r.same_name && 'same name nearby', r.same_phone && 'same phone', r.same_postcode && 'same postcode'].filter((x): x is DuplicateReason => typeof x === 'string'),
    }))
    .filter((d) => d.reasons.length > 0);
}

/**
 * Merges a duplicate into the record it duplicates: the kept record gains the duplicate's categories,
 * locations, schedules and contacts that it lacks, and the duplicate stays only as a pointer to it (its page
 * redirects), so links and references to it still lead somewhere. Both records must be the merger's to keep.
 */
export async function mergeServices(db: Db, duplicateId: string, keepId: string, ownerOrganisationId: string, actor: Actor): Promise<void> {
  if (duplicateId === keepId) throw new AssetError('into', 'A record cannot be merged into itself');
  await db.transaction(async (tx) => {
    const [dup, keep] = await Promise.all([getService(tx, duplicateId), getService(tx, keepId)]);
    if (!dup || !keep) throw new AssetError('into', 'Choose a record to merge into');
    if (dup.ownerOrganisationId !== ownerOrganisationId || keep.ownerOrganisationId !== ownerOrganisationId) throw new AssetError('into', 'Both records must be kept by your organisation to merge them');
    if (dup.mergedIntoId || keep.mergedIntoId) throw new AssetError('into', 'One of these records has already been merged');
    const keptLocations = new Set(keep.locations.map((l) => l.id));
    for (const l of dup.locations) if (!keptLocations.has(l.id)) await tx.insert(directoryServiceLocations).values({ serviceId: keepId, locationId: l.id }).onConflictDoNothing();
    const scheduleKey = (s: ScheduleInput) => [s.freq, s.interval, s.byDay, s.opensAt, s.closesAt].join('|');
    const keptSchedules = new Set(keep.schedules.map(scheduleKey));
    const newSchedules = dup.schedules.filter((s) => !keptSchedules.has(scheduleKey(s)));
    if (newSchedules.length) await tx.insert(directorySchedules).values(newSchedules.map(({ freq, interval, byDay, opensAt, closesAt, validFrom, validTo, description }) => ({ serviceId: keepId, freq, interval, byDay, opensAt, closesAt, validFrom, validTo, description })));
    const contactKey = (c: ContactInput) => [phoneKey(c.phone), c.email?.toLowerCase(), c.name?.toLowerCase()].join('|');
    const keptContacts = new Set(keep.contacts.map(contactKey));
    const newContacts = dup.contacts.filter((c) => !keptContacts.has(contactKey(c)));
    if (newContacts.length) await tx.insert(directoryContacts).values(newContacts.map(({ kind, name, title, phone, email, public: isPublic }, i) => ({ serviceId: keepId, kind, name, title, phone, email, public: isPublic, phoneKey: phoneKey(phone), position: keep.contacts.length + i })));
    for (const c of dup.categories) await tx.insert(directoryServiceTaxonomies).values({ serviceId: keepId, termId: c.id }).onConflictDoNothing();
    const fill = Object.fromEntries(
      (['description', 'url', 'email', 'fees', 'eligibility', 'accessibility'] as const).filter((f) => keep[f] === null && dup[f] !== null).map((f) => [f, dup[f]]),
    );
    await tx.update(directoryServices).set({ ...fill, lastChecked: keep.lastChecked > dup.lastChecked ? keep.lastChecked : dup.lastChecked, updatedAt: new Date() }).where(eq(directoryServices.id, keepId));
    await tx.update(directoryServices).set({ mergedIntoId: keepId, status: 'inactive', updatedAt: new Date() }).where(eq(directoryServices.id, duplicateId));
    // A record merged away earlier into the duplicate now points straight at the kept one.
    await tx.update(directoryServices).set({ mergedIntoId: keepId }).where(eq(directoryServices.mergedIntoId, duplicateId));
    await tx.delete(directoryServiceLocations).where(eq(directoryServiceLocations.serviceId, duplicateId));
    await recordAudit(tx, { actor, action: 'directory.service.merged', objectType: 'directory_service', objectId: keepId, details: { merged: duplicateId, name: dup.name, into: keep.name } });
  });
}

export type Term = { id: string; name: string; description: string | null; parentId: string | null; vocabulary: string; ownerOrganisationId: string | null };

/** The categories an organisation may use: the shipped vocabulary and its own terms (or only the shipped ones). */
export async function taxonomyFor(db: Tx, organisationId: string | null): Promise<Term[]> {
  return db
    .select()
    .from(directoryTaxonomyTerms)
    .where(organisationId ? sql`${directoryTaxonomyTerms.ownerOrganisationId} is null or ${directoryTaxonomyTerms.ownerOrganisationId} = ${organisationId}` : sql`${directoryTaxonomyTerms.ownerOrganisationId} is null`)
    .orderBy(sql`${directoryTaxonomyTerms.ownerOrganisationId} nulls first`, directoryTaxonomyTerms.name);
}

/** Terms grouped under their top-level term, for checkbox lists and filters. */
export function groupTerms(terms: Term[]): { term: Term; children: Term[] }[] {
  const tops = terms.filter((t) => t.parentId === null || !terms.some((p) => p.id === t.parentId));
  const childrenOf = (id: string): Term[] => terms.filter((t) => t.parentId === id).flatMap((t) => [t, ...childrenOf(t.id)]);
  return tops.map((term) => ({ term, children: childrenOf(term.id) }));
}

/** A term and every term beneath it: choosing "Places" finds libraries and parks too. */
export async function termWithDescendants(db: Tx, termIds: string[]): Promise<string[]> {
  if (!termIds.length) return [];
  const rows = await queryRows<{ id: string }>(
    db,
    sql`with recursive t as (select id from ${directoryTaxonomyTerms} where id in (${sql.join(termIds.map((id) => sql`${id}`), sql`, `)})
          union select c.id from ${directoryTaxonomyTerms} c join t on c.parent_id = t.id)
        select id from t`,
  );
  return rows.map((r) => r.id);
}

/** An organisation's own category, under a shipped or own term, or at the top of its own vocabulary. */
export async function addTerm(db: Db, organisation: { id: string; slug: string }, input: { name: string; parentId: string | null; description: string | null }, actor: Actor): Promise<string> {
  const name = input.name.trim();
  if (!name) throw new AssetError('name', 'Enter the category’s name');
  if (name.length > 100) throw new AssetError('name', 'The category’s name must be 100 characters or fewer');
  return db.transaction(async (tx) => {
    const terms = await taxonomyFor(tx, organisation.id);
    if (input.parentId && !terms.some((t) => t.id === input.parentId)) throw new AssetError('parentId', 'Choose a category to put it under, or none');
    if (terms.some((t) => t.name.toLowerCase() === name.toLowerCase() && t.parentId === input.parentId)) throw new AssetError('name', `There is already a category called ${name} there`);
    const slug = nameKey(name).replace(/ /g, '-').slice(0, 40);
    let id = `${organisation.slug}:${slug}`;
    for (let n = 2; terms.some((t) => t.id === id); n++) id = `${organisation.slug}:${slug}-${n}`;
    const parent = terms.find((t) => t.id === input.parentId);
    await tx.insert(directoryTaxonomyTerms).values({ id, name, description: input.description, parentId: input.parentId, vocabulary: parent?.vocabulary ?? organisation.slug, ownerOrganisationId: organisation.id });
    await recordAudit(tx, { actor, action: 'directory.category.added', objectType: 'directory_taxonomy_term', objectId: id, details: { name, parentId: input.parentId } });
    return id;
  });
}

/** An organisation's records, newest first, with the stale ones flagged. */
export async function servicesOf(db: Tx, ownerOrganisationId: string) {
  return queryRows<{ id: string; name: string; kind: AssetKind; status: ServiceStatus; last_checked: string; stale: boolean; postcode: string | null; sample: boolean; categories: string | null }>(
    db,
    sql`select s.id, s.name, s.kind, s.status, to_char(s.last_checked, 'YYYY-MM-DD') as last_checked, s.last_checked < current_date - ${staleAfterDays}::int as stale, s.sample,
          (select min(l.postcode) from ${directoryServiceLocations} sl join ${directoryLocations} l on l.id = sl.location_id where sl.service_id = s.id) as postcode,
          (select string_agg(t.name, '; ' order by t.name) from ${directoryServiceTaxonomies} st join ${directoryTaxonomyTerms} t on t.id = st.term_id where st.service_id = s.id) as categories
        from ${directoryServices} s where s.owner_organisation_id = ${ownerOrganisationId} and s.merged_into_id is null
        order by s.last_checked < current_date - ${staleAfterDays}::int desc, s.name`,
  );
}

/** The neighbourhoods a point lies in, among those a viewer may see (by their current boundary). */
export function neighbourhoodsAt(longitude: number, latitude: number) {
  return sql`select n.id, n.name, n.sharing, n.owner_organisation_id from neighbourhoods n join neighbourhood_versions v on v.neighbourhood_id = n.id and v.version = n.current_version
    where n.layer_id is null and ST_Intersects(v.boundary, ${pointEwkt(longitude, latitude)}::geometry) order by n.name`;
}

