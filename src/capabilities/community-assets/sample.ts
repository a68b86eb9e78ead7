import { sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { analyze, copyRows, type Cell } from '../../platform/db/bulk.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { assignAreas, nameKey, phoneKey } from './service.ts';

/**
 * Invented directory records for demonstrations and benchmarks, every one marked `sample` and named
 * "(sample data)" so no one mistakes them for real places. They are spread over 2021 LSOAs at random, which
 * spreads them where people live (LSOAs hold similar numbers of people), near each LSOA's population-weighted
 * centroid where it is known.
 */

export type SampleOptions = {
  ownerOrganisationId: string;
  count: number;
  /** Districts to place them in (any LAD vintage's codes); all of England's LSOAs with boundaries when not given. */
  ladCodes?: string[];
  /** Same seed, same records. */
  seed?: number;
  /** Term ids to draw categories from; the shipped vocabulary's leaves when not given. */
  categories?: string[];
};

/** mulberry32: small, fast and good enough to scatter sample records reproducibly. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const placeKinds: Record<string, string[]> = {
  'community-space': ['Community Centre', 'Village Hall', 'Neighbourhood Hub', 'Church Hall', 'Community Rooms'],
  library: ['Library', 'Community Library'],
  park: ['Park', 'Recreation Ground', 'Playing Fields', 'Nature Reserve'],
  allotment: ['Allotments', 'Community Garden'],
  'place-of-worship': ['Methodist Church', 'Parish Church', 'Mosque', 'Gurdwara', 'Baptist Chapel'],
  school: ['Primary School', 'Academy', 'High School'],
  'gp-surgery': ['Medical Practice', 'Health Centre', 'Family Practice'],
  pharmacy: ['Pharmacy'],
  'family-hub': ['Family Hub', "Children's Centre"],
  'youth-centre': ['Youth Centre', 'Youth Club Building'],
  'sports-leisure': ['Leisure Centre', 'Sports Centre', 'Swimming Baths'],
  'meeting-place': ['Café', 'Community Café', 'Corner Café'],
};
const activityKinds: Record<string, string[]> = {
  'group-club': ['Knit and Natter', 'Book Club', 'Gardening Club', "Men's Shed"],
  volunteering: ['Litter Pickers', 'Volunteer Drivers', 'Befriending Volunteers'],
  'vcse-organisation': ['Community Trust', 'Residents Association', 'Community Action'],
  'physical-activity': ['Walking Football', 'Chair Yoga', 'Park Walk', 'Junior Football'],
  'arts-culture': ['Art Group', 'Community Choir', 'Craft Circle'],
  'social-group': ['Lunch Club', 'Coffee Morning', 'Social Supper'],
  'older-people': ['Over 60s Club', 'Memory Café'],
  'children-families': ['Stay and Play', 'Toddler Group', 'Homework Club'],
  'mental-wellbeing': ['Wellbeing Walk', 'Peer Support Group', 'Talking Café'],
  advice: ['Money Advice Drop-in', 'Housing Advice Surgery', 'Benefits Help'],
  'food-support': ['Food Bank', 'Community Pantry', 'Community Meal'],
  'learning-skills': ['Job Club', 'Digital Skills Session', 'English Conversation Class'],
};
const days = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;

/** Adds `count` sample services with their organisations, locations, schedules, contacts and categories; returns their ids. */
export async function generateSampleServices(db: Db, options: SampleOptions, actor: Actor): Promise<string[]> {
  const random = prng(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const uuid = () => {
    const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
    hex[12] = '4';
    hex[16] = ((Math.floor(random() * 4) + 8) as number).toString(16);
    const h = hex.join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };

  const lsoas = await queryRows<{ code: string; name: string; x: number; y: number }>(
    db,
    sql`select a.code, a.name, ST_X(p) as x, ST_Y(p) as y
        from areas a cross join lateral (select ST_Transform(coalesce(a.weighted_centroid, a.centroid, ST_PointOnSurface(a.boundary)), 27700) as p) c
        where a.vintage = 'lsoa21' and a.boundary is not null
        ${options.ladCodes?.length ? sql`and exists (select 1 from area_lookups k where k.from_vintage = 'lsoa21' and k.from_code = a.code and k.to_code in (${sql.join(options.ladCodes.map((c) => sql`${c}`), sql`, `)}))` : sql``}
        order by a.code`,
  );
  if (!lsoas.length) throw new Error(`No 2021 LSOA boundaries${options.ladCodes?.length ? ` in ${options.ladCodes.join(', ')}` : ''}: load boundaries first`);
  const allowed = options.categories ?? [...Object.keys(placeKinds), ...Object.keys(activityKinds)];
  const placeCategories = allowed.filter((c) => c in placeKinds);
  const activityCategories = allowed.filter((c) => c in activityKinds);
  if (!placeCategories.length && !activityCategories.length) throw new Error('None of the categories given has sample names');

  const organisations: Cell[][] = [];
  const services: Cell[][] = [];
  const locations: Cell[][] = [];
  const serviceLocations: Cell[][] = [];
  const schedules: Cell[][] = [];
  const contacts: Cell[][] = [];
  const taxonomies: Cell[][] = [];
  const ids: string[] = [];
  const checkedBase = Date.UTC(2026, 0, 1);
  let organisationId = '';
  const eastings = new Map<string, number>();
  for (let i = 0; i < options.count; i++) {
    const lsoa = pick(lsoas);
    const place = lsoa.name.replace(/\s+\d+[A-Z]$/, '');
    const isPlace = activityCategories.length === 0 || (placeCategories.length > 0 && random() < 0.55);
    const category = pick(isPlace ? placeCategories : activityCategories);
    const name = `${place} ${pick((isPlace ? placeKinds : activityKinds)[category]!)}${i % 7 === 0 ? ` ${Math.floor(i / 7) % 50 + 1}` : ''} (sample data)`;
    // About five records per organisation, as a trust or a council service runs several.
    if (i % 5 === 0) {
      organisationId = uuid();
      organisations.push([organisationId, options.ownerOrganisationId, `${place} ${pick(['Community Trust', 'Council Services', 'Together', 'Voluntary Action', 'Partnership'])} (sample data)`, 'Invented for demonstration: sample data.', 't']);
    }
    const id = uuid();
    ids.push(id);
    const free = random() < 0.6;
    const checked = new Date(checkedBase - Math.floor(random() * 600) * 86_400_000).toISOString().slice(0, 10);
    services.push([
      id, organisationId, options.ownerOrganisationId, isPlace ? 'place' : 'activity', name, nameKey(name),
      `${isPlace ? 'A place' : 'An activity'} in ${place}, invented for demonstration: sample data.`,
      'active', free ? 't' : 'f', free ? null : `£${1 + Math.floor(random() * 5)} a session`, random() < 0.7 ? 't' : random() < 0.5 ? 'f' : null, checked, 't',
    ]);
    const locationId = uuid();
    const angle = random() * 2 * Math.PI;
    const metres = random() * 250;
    locations.push([locationId, options.ownerOrganisationId, name, `${1 + Math.floor(random() * 200)} Sample Street`, place, `SRID=27700;POINT(${(lsoa.x + Math.cos(angle) * metres).toFixed(1)} ${(lsoa.y + Math.sin(angle) * metres).toFixed(1)})`]);
    eastings.set(locationId, lsoa.x);
    serviceLocations.push([uuid(), id, locationId]);
    taxonomies.push([id, category]);
    const sessions = isPlace ? (random() < 0.5 ? 1 : 0) : 1 + Math.floor(random() * 2);
    for (let s = 0; s < sessions; s++) {
      const start = 9 + Math.floor(random() * 11);
      const monthly = random() < 0.2;
      schedules.push([uuid(), id, monthly ? 'MONTHLY' : 'WEEKLY', 1, monthly ? `${1 + Math.floor(random() * 4)}${pick(days)}` : pick(days), `${String(start).padStart(2, '0')}:00`, `${String(start + 2).padStart(2, '0')}:00`]);
    }
    const phone = `01000 ${String(100000 + Math.floor(random() * 899999))}`;
    contacts.push([uuid(), id, 'organisation', 'Enquiries', phone, phoneKey(phone), 't', 0]);
  }

  return db.transaction(async (tx) => {
    await copyRows(tx, 'directory_organisations', ['id', 'owner_organisation_id', 'name', 'description', 'sample'], organisations);
    await copyRows(tx, 'directory_services', ['id', 'directory_organisation_id', 'owner_organisation_id', 'kind', 'name', 'name_key', 'description', 'status', 'free', 'fees', 'wheelchair_accessible', 'last_checked', 'sample'], services);
    // Points were made in metres; the WGS84 point is what every other query reads.
    await copyRows(tx, 'directory_locations', ['id', 'owner_organisation_id', 'name', 'address_1', 'city', 'location_bng'], locations);
    await tx.execute(sql`update directory_locations set location = ST_Transform(location_bng, 4326) where location is null and location_bng is not null and owner_organisation_id = ${options.ownerOrganisationId}`);
    await copyRows(tx, 'directory_service_locations', ['id', 'service_id', 'location_id'], serviceLocations);
    await copyRows(tx, 'directory_schedules', ['id', 'service_id', 'freq', 'interval', 'by_day', 'opens_at', 'closes_at'], schedules);
    await copyRows(tx, 'directory_contacts', ['id', 'service_id', 'kind', 'name', 'phone', 'phone_key', 'public', 'position'], contacts);
    await copyRows(tx, 'directory_service_taxonomies', ['service_id', 'term_id'], taxonomies);
    // West to east: assignAreas places 5,000 at a time and loads the boundaries of each batch's box, so batches
    // in narrow strips each read a slice of England's boundaries rather than all of them.
    const locationIds = locations.map((l) => l[0] as string).sort((a, b) => eastings.get(a)! - eastings.get(b)!);
    await assignAreas(tx, locationIds);
    await analyze(tx, 'directory_services', 'directory_locations', 'directory_service_locations', 'directory_schedules', 'directory_contacts', 'directory_service_taxonomies');
    await recordAudit(tx, { actor, action: 'directory.sample.generated', objectType: 'organisation', objectId: options.ownerOrganisationId, details: { count: options.count, ladCodes: options.ladCodes ?? null, seed: options.seed ?? 1 } });
    return ids;
  });
}
