import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { normalisePostcode } from '../geography/postcodes.ts';
import { directoryTaxonomyTerms } from './schema.ts';
import { AssetError, assignAreas, checkService, removeOrphanLocations, taxonomyFor, writeService, type ContactInput, type ScheduleInput, type ServiceInput } from './service.ts';

/**
 * The import runner CSV and Open Referral UK files share. A reader turns a file into records (and the problems
 * it met reading them); this checks every record against everything that can be checked before writing
 * (the record's own rules, ids kept by other partners, postcodes, categories), names each problem by record
 * and field, and only when there are none writes them all in one transaction. Nothing is written otherwise.
 */

/** Patchwork's namespace for name-based UUIDs (RFC 9562 version 5). */
const namespace = Buffer.from('6f1d3c3e8a2b5c4e9d7f0a1b2c3d4e5f', 'hex');

/**
 * A UUID made from a name, always the same for the same name: ids for parts of a record that Open Referral
 * gives an id and Patchwork does not store (a contact's phone, a location's address), and Patchwork ids for
 * records another directory identifies by something other than a UUID, so importing its file again updates
 * the same records.
 */
export function nameUuid(name: string): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type TransferFormat = 'csv' | 'oruk';

/** One problem with one record of a file: `where` names the record ("Row 5", "Service 3 (id 4f…)"), `field` the column or JSON path. */
export type TransferProblem = { record: number; where: string; field: string; message: string };

export const problemText = (p: TransferProblem) => `${p.where}${p.field ? `, ${p.field}` : ''}: ${p.message}`;

/** An import refused: nothing was written. An ImportError, so the command line reports it as it does other imports. */
export class TransferError extends ImportError {
  override name = 'TransferError';
  constructor(
    file: string,
    public readonly transferProblems: TransferProblem[],
    public readonly headline = transferProblems.length
      ? `${file} was not imported: ${transferProblems.length === 1 ? 'there is a problem' : `there are ${transferProblems.length >= problemLimit ? `at least ${problemLimit}` : transferProblems.length} problems`} to fix. Nothing has changed.`
      : `${file} was not imported. Nothing has changed.`,
  ) {
    super(
      file,
      transferProblems.map((p) => ({ row: p.record, column: p.field, message: p.message })),
      headline,
    );
    this.message = [headline, ...transferProblems.slice(0, 20).map((p) => `  ${problemText(p)}`), ...(transferProblems.length > 20 ? [`  …and ${transferProblems.length - 20} more`] : [])].join('\n');
  }
}

/** Beyond this many problems a file is better fixed and tried again than read further. */
export const problemLimit = 200;

export class ProblemList {
  readonly list: TransferProblem[] = [];
  add(record: number, where: string, field: string, message: string): void {
    if (this.list.length < problemLimit) this.list.push({ record, where, field, message });
  }
  get full() {
    return this.list.length >= problemLimit;
  }
}

/** A category a file defines (Open Referral files carry each term whole), created when Patchwork does not have it. */
export type TermPlan = { id: string; name: string; vocabulary: string | null; parentId: string | null };

/** One record read from a file, ready to check and save. */
export type ImportRecord = {
  /** The row number (CSV, the header being row 1) or the record's position (JSON, from 1). */
  number: number;
  where: string;
  /** The file's name for a field named in an AssetError ("postcode", "schedule0", "contact1"…). */
  fieldOf: (field: string) => string;
  /** The record's id: an update when the organisation has it, a new record with this id when nobody has. */
  id: string | null;
  input: ServiceInput;
  /** The file's ids for the schedules, contacts and service-at-locations, kept so a re-import updates in place. */
  scheduleIds: (string | null)[];
  contactIds: (string | null)[];
  serviceLocationIds: (string | null)[];
  /** For each schedule, the location (index into input.locations) it happens at, or null for the service as a whole. */
  scheduleLocations: (number | null)[];
  organisationSample: boolean | null;
};

export type ImportPlan = {
  format: TransferFormat;
  /** The file's name, as problems and the audit log name it. */
  file: string;
  records: ImportRecord[];
  /** Problems found while reading the file. */
  problems: TransferProblem[];
  /** Categories the file defines: unknown ones are added to the importing organisation's own terms. Null when a file may only use known categories (CSV). */
  terms: Map<string, TermPlan> | null;
  /** Things the file held that Patchwork does not keep, said once each. */
  notes: string[];
  /** Refuse a record whose coordinates are far from its postcode (a spreadsheet edited by hand, where a postcode was changed and the old coordinates left). */
  checkCoordinates: boolean;
};

export type ImportResult = { total: number; created: number; updated: number; categoriesAdded: string[]; notes: string[] };

export type Importer = { id: string; slug: string };

/** A postcode's point and whether it can place anything, for every postcode in a file in one query. */
async function postcodePoints(db: Tx, postcodes: string[]): Promise<{ known: Map<string, { lon: number | null; lat: number | null }>; any: boolean }> {
  const known = new Map<string, { lon: number | null; lat: number | null }>();
  if (postcodes.length) {
    const rows = await queryRows<{ postcode: string; lon: number | null; lat: number | null }>(
      db,
      sql`select postcode, ST_X(location) as lon, ST_Y(location) as lat from postcodes where postcode = any(${sql.param(postcodes)}::text[])`,
    );
    for (const r of rows) known.set(r.postcode, { lon: r.lon === null ? null : Number(r.lon), lat: r.lat === null ? null : Number(r.lat) });
  }
  const [any] = known.size ? [{ any: true }] : await queryRows<{ any: boolean }>(db, sql`select exists (select 1 from postcodes) as any`);
  return { known, any: any?.any ?? false };
}

/** Metres between two WGS84 points (haversine), for the coordinates-versus-postcode check. */
function metresBetween(a: { lon: number; lat: number }, b: { lon: number; lat: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h));
}

/** How far coordinates may be from their postcode's point before a hand-edited spreadsheet is suspected. */
export const coordinatesFromPostcodeMetres = 5000;

type Owned = { id: string; owner: string; ownerName: string };

async function ownersOf(db: Tx, table: 'directory_services' | 'directory_locations' | 'directory_organisations', given: string[]): Promise<Map<string, Owned & { mergedInto: string | null }>> {
  const ids = given.filter((id) => uuidPattern.test(id));
  if (!ids.length) return new Map();
  const merged = table === 'directory_services' ? sql`t.merged_into_id` : sql`null::uuid`;
  const rows = await queryRows<{ id: string; owner: string; owner_name: string; merged_into: string | null }>(
    db,
    sql`select t.id, t.owner_organisation_id as owner, o.name as owner_name, ${merged} as merged_into
        from ${sql.identifier(table)} t join organisations o on o.id = t.owner_organisation_id where t.id = any(${sql.param(ids)}::uuid[])`,
  );
  return new Map(rows.map((r) => [r.id, { id: r.id, owner: r.owner, ownerName: r.owner_name, mergedInto: r.merged_into }]));
}

async function usersOf(db: Tx, table: 'directory_contacts' | 'directory_schedules' | 'directory_service_locations', given: string[]): Promise<Map<string, string>> {
  const ids = given.filter((id) => uuidPattern.test(id));
  if (!ids.length) return new Map();
  const rows = await queryRows<{ id: string; service_id: string }>(db, sql`select id, service_id from ${sql.identifier(table)} where id = any(${sql.param(ids)}::uuid[])`);
  return new Map(rows.map((r) => [r.id, r.service_id]));
}

/** The categories each record will have, and the terms to add, resolving names (CSV) and terms other partners keep (Open Referral). */
async function resolveCategories(db: Tx, plan: ImportPlan, importer: Importer, problems: ProblemList): Promise<{ categories: Map<ImportRecord, string[]>; add: TermPlan[] }> {
  const usable = await taxonomyFor(db, importer.id);
  const byId = new Map(usable.map((t) => [t.id, t]));
  const byName = new Map<string, string[]>();
  for (const t of usable) byName.set(t.name.toLowerCase(), [...(byName.get(t.name.toLowerCase()) ?? []), t.id]);
  const wanted = [...new Set(plan.records.flatMap((r) => r.input.categories))].filter((id) => !byId.has(id));
  const elsewhere = new Set(
    wanted.length ? (await queryRows<{ id: string }>(db, sql`select id from ${directoryTaxonomyTerms} where id = any(${sql.param(wanted)}::text[])`)).map((r) => r.id) : [],
  );
  // A term another partner keeps under the same id becomes the importer's own, under its prefix.
  const own = (id: string) => (elsewhere.has(id) ? `${importer.slug}:${id}` : id);
  const add = new Map<string, TermPlan>();
  const categories = new Map<ImportRecord, string[]>();
  for (const record of plan.records) {
    const ids: string[] = [];
    for (const raw of record.input.categories) {
      if (byId.has(raw)) ids.push(raw);
      else if (plan.terms) {
        const term = plan.terms.get(raw);
        const id = own(raw);
        if (byId.has(id)) ids.push(id);
        else if (term) {
          add.set(id, { ...term, id });
          ids.push(id);
        } else problems.add(record.number, record.where, record.fieldOf('categories'), `Unknown category “${raw}”`);
      } else {
        const named = byName.get(raw.toLowerCase());
        if (named?.length === 1) ids.push(named[0]!);
        else if (named && named.length > 1) problems.add(record.number, record.where, record.fieldOf('categories'), `“${raw}” names ${named.length} categories: use one of their ids (${named.join(', ')})`);
        else problems.add(record.number, record.where, record.fieldOf('categories'), `Unknown category “${raw}”: use a category id or name from the list on the import page`);
      }
    }
    categories.set(record, [...new Set(ids)]);
  }
  // Parents: a known term, a term added with them, or none (a parent the file only names is not invented).
  const ordered: TermPlan[] = [];
  const placed = new Set<string>();
  const visit = (term: TermPlan, depth: number) => {
    if (placed.has(term.id)) return;
    let parentId = term.parentId === null ? null : byId.has(term.parentId) ? term.parentId : add.has(own(term.parentId)) ? own(term.parentId) : byId.has(own(term.parentId)) ? own(term.parentId) : null;
    if (parentId !== null && add.has(parentId) && !placed.has(parentId)) {
      if (depth > 50 || parentId === term.id) parentId = null;
      else visit(add.get(parentId)!, depth + 1);
    }
    placed.add(term.id);
    ordered.push({ ...term, parentId });
  };
  for (const term of add.values()) visit(term, 0);
  return { categories, add: ordered };
}

/**
 * Checks every record and, when none has a problem, saves them all in one transaction: records the importer
 * already keeps are updated in place, the rest are added with the file's ids. Throws a TransferError listing
 * every problem otherwise.
 */
export async function runImport(db: Db, plan: ImportPlan, importer: Importer, userId: string | null, actor: Actor): Promise<ImportResult> {
  const problems = new ProblemList();
  for (const p of plan.problems) problems.add(p.record, p.where, p.field, p.message);
  if (!plan.records.length && !problems.list.length) throw new TransferError(plan.file, [], `${plan.file} holds no records to import. Nothing has changed.`);

  // The record's own rules, as a form would check them.
  for (const record of plan.records) {
    try {
      checkService(record.input);
    } catch (error) {
      if (!(error instanceof AssetError)) throw error;
      problems.add(record.number, record.where, record.fieldOf(error.field), error.message);
    }
  }

  // The same id twice in one file.
  const seen = new Map<string, ImportRecord>();
  for (const record of plan.records) {
    if (!record.id) continue;
    const first = seen.get(record.id);
    if (first) problems.add(record.number, record.where, record.fieldOf('id'), `The id ${record.id} is also used by ${first.where.toLowerCase()}: each record needs its own`);
    else seen.set(record.id, record);
  }
  const partIds = (pick: (r: ImportRecord) => (string | null)[], what: string, field: string) => {
    const owner = new Map<string, ImportRecord>();
    for (const record of plan.records)
      for (const id of pick(record)) {
        if (!id) continue;
        const first = owner.get(id);
        if (first) problems.add(record.number, record.where, record.fieldOf(field), first === record ? `The ${what} id ${id} is given twice` : `The ${what} id ${id} is also used by ${first.where.toLowerCase()}`);
        else owner.set(id, record);
      }
    return owner;
  };
  const contactOwners = partIds((r) => r.contactIds, 'contact', 'contact0');
  const scheduleOwners = partIds((r) => r.scheduleIds, 'schedule', 'schedule0');
  const serviceLocationOwners = partIds((r) => r.serviceLocationIds, 'service-at-location', 'postcode');

  // Ids someone else keeps, or that belong to a different record.
  const services = await ownersOf(db, 'directory_services', [...seen.keys()]);
  for (const [id, record] of seen) {
    const found = services.get(id);
    if (found && found.owner !== importer.id) problems.add(record.number, record.where, record.fieldOf('id'), `The record ${id} is kept by ${found.ownerName}: only they can update it`);
    else if (found?.mergedInto) problems.add(record.number, record.where, record.fieldOf('id'), `The record ${id} was merged into ${found.mergedInto}: update that record instead`);
  }
  const organisationIds = new Map<string, ImportRecord>();
  const locationIds = new Map<string, ImportRecord>();
  for (const record of plan.records) {
    if (record.input.organisation.id) organisationIds.set(record.input.organisation.id, record);
    for (const l of record.input.locations) if (l.id) locationIds.set(l.id, record);
  }
  for (const [table, ids, field, what] of [
    ['directory_organisations', organisationIds, 'organisationName', 'organisation'],
    ['directory_locations', locationIds, 'postcode', 'location'],
  ] as const) {
    for (const found of (await ownersOf(db, table, [...ids.keys()])).values()) {
      if (found.owner === importer.id) continue;
      const record = ids.get(found.id)!;
      problems.add(record.number, record.where, record.fieldOf(field), `The ${what} ${found.id} is kept by ${found.ownerName}: only they can update it`);
    }
  }
  for (const [table, owners, field, what] of [
    ['directory_contacts', contactOwners, 'contact0', 'contact'],
    ['directory_schedules', scheduleOwners, 'schedule0', 'schedule'],
    ['directory_service_locations', serviceLocationOwners, 'postcode', 'service-at-location'],
  ] as const) {
    for (const [id, serviceId] of await usersOf(db, table, [...owners.keys()])) {
      const record = owners.get(id)!;
      if (serviceId !== record.id) problems.add(record.number, record.where, record.fieldOf(field), `The ${what} id ${id} already belongs to another record (${serviceId})`);
    }
  }

  // Postcodes, all at once: every location must be placeable, and a hand-edited postcode must not be contradicted by old coordinates.
  const normalised = new Map<string, string | null>();
  for (const record of plan.records) for (const l of record.input.locations) if (l.postcode && !normalised.has(l.postcode)) normalised.set(l.postcode, normalisePostcode(l.postcode));
  const { known, any } = await postcodePoints(db, [...new Set([...normalised.values()].filter((p): p is string => p !== null))]);
  for (const record of plan.records) {
    record.input.locations.forEach((l, i) => {
      const at = record.input.locations.length > 1 ? ` (location ${i + 1})` : '';
      const field = record.fieldOf(`postcode${i}`);
      const hasPoint = l.longitude !== null && l.latitude !== null;
      if (!l.postcode) return;
      const postcode = normalised.get(l.postcode) ?? null;
      if (!postcode) return problems.add(record.number, record.where, field, `“${l.postcode.trim()}” is not a postcode: enter a postcode like WN1 1AA${at}`);
      const point = known.get(postcode);
      if (!point && !hasPoint)
        return problems.add(
          record.number,
          record.where,
          field,
          any ? `${postcode} is not among the postcodes loaded into Patchwork: check it, or give the location’s longitude and latitude${at}` : `${postcode} cannot be looked up: no postcodes have been loaded yet (an administrator loads them with npx patchwork import postcodes)`,
        );
      if (point && (point.lon === null || point.lat === null) && !hasPoint) return problems.add(record.number, record.where, field, `${postcode} has no grid reference in the postcode lookup: give the location’s longitude and latitude${at}`);
      if (plan.checkCoordinates && point && point.lon !== null && point.lat !== null && hasPoint) {
        const metres = metresBetween({ lon: point.lon, lat: point.lat }, { lon: l.longitude!, lat: l.latitude! });
        if (metres > coordinatesFromPostcodeMetres)
          problems.add(
            record.number,
            record.where,
            field,
            `The longitude and latitude are ${(metres / 1000).toFixed(1)} km from ${postcode}: if the postcode was changed, clear the longitude and latitude so the postcode places it${at}`,
          );
      }
    });
  }

  const { categories, add } = await resolveCategories(db, plan, importer, problems);
  // Listed in the file's order, each record's problems together.
  if (problems.list.length) throw new TransferError(plan.file, [...problems.list].sort((a, b) => a.record - b.record));

  return db.transaction(async (tx) => {
    for (const term of add) {
      await tx.insert(directoryTaxonomyTerms).values({ id: term.id, name: term.name, description: null, parentId: term.parentId, vocabulary: term.vocabulary ?? importer.slug, ownerOrganisationId: importer.id });
      await recordAudit(tx, { actor, action: 'directory.category.added', objectType: 'directory_taxonomy_term', objectId: term.id, organisationId: importer.id, details: { name: term.name, parentId: term.parentId, imported: plan.file } });
    }
    const owner = { organisationId: importer.id, userId };
    const written: { id: string; locationIds: string[] }[] = [];
    const failed = new ProblemList();
    let created = 0;
    for (const record of plan.records) {
      // writeService spreads each schedule and contact into its insert, so an id given here is the row's id.
      const input: ServiceInput = {
        ...record.input,
        categories: categories.get(record) ?? [],
        schedules: record.input.schedules.map((s, i): ScheduleInput & { id?: string } => (record.scheduleIds[i] ? { ...s, id: record.scheduleIds[i]! } : s)),
        contacts: record.input.contacts.map((c, i): ContactInput & { id?: string } => (record.contactIds[i] ? { ...c, id: record.contactIds[i]! } : c)),
      };
      if (!record.id || !services.has(record.id)) created++;
      try {
        written.push(await writeService(tx, record.id, input, owner));
      } catch (error) {
        // A rule only the database can check; the transaction is still usable, so the rest are checked too.
        if (!(error instanceof AssetError)) throw error;
        failed.add(record.number, record.where, record.fieldOf(error.field), error.message);
      }
    }
    if (failed.list.length) throw new TransferError(plan.file, failed.list);

    const ids = written.map((w) => w.id);
    // Service-at-location ids as the file gave them, and the schedules that belong to one location.
    const links = plan.records.flatMap((record, r) =>
      record.serviceLocationIds.flatMap((salId, i) => (salId && record.input.locations[i]?.id ? [{ service: ids[r]!, location: record.input.locations[i]!.id!, id: salId }] : [])),
    );
    if (links.length)
      await tx.execute(sql`update directory_service_locations sl set id = t.id
        from unnest(${sql.param(links.map((l) => l.service))}::uuid[], ${sql.param(links.map((l) => l.location))}::uuid[], ${sql.param(links.map((l) => l.id))}::uuid[]) as t(service, location, id)
        where sl.service_id = t.service and sl.location_id = t.location`);
    const atLocations = plan.records.flatMap((record) =>
      record.scheduleLocations.flatMap((index, i) => (index !== null && record.scheduleIds[i] && record.serviceLocationIds[index] ? [{ schedule: record.scheduleIds[i]!, link: record.serviceLocationIds[index]! }] : [])),
    );
    if (atLocations.length)
      await tx.execute(sql`update directory_schedules s set service_location_id = t.link
        from unnest(${sql.param(atLocations.map((a) => a.schedule))}::uuid[], ${sql.param(atLocations.map((a) => a.link))}::uuid[]) as t(schedule, link)
        where s.id = t.schedule`);
    const samples = plan.records.flatMap((record) => (record.organisationSample !== null && record.input.organisation.id ? [{ id: record.input.organisation.id, sample: record.organisationSample }] : []));
    if (samples.length)
      await tx.execute(sql`update directory_organisations o set sample = t.sample
        from unnest(${sql.param(samples.map((s) => s.id))}::uuid[], ${sql.param(samples.map((s) => s.sample))}::boolean[]) as t(id, sample)
        where o.id = t.id and o.sample is distinct from t.sample`);
    await assignAreas(tx, [...new Set(written.flatMap((w) => w.locationIds))]);
    await removeOrphanLocations(tx, importer.id);
    const result = { total: written.length, created, updated: written.length - created, categoriesAdded: add.map((t) => t.id), notes: plan.notes };
    await recordAudit(tx, {
      actor,
      action: 'directory.imported',
      objectType: 'organisation',
      objectId: importer.id,
      organisationId: importer.id,
      details: { file: plan.file, format: plan.format, created: result.created, updated: result.updated, categoriesAdded: result.categoriesAdded, records: ids },
    });
    return result;
  });
}
