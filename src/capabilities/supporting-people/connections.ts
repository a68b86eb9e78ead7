import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { DataKey } from '../../platform/crypto/envelope.ts';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import { formProblems, text, type Form, type FormErrors } from '../../platform/web/forms.ts';
import { publicPath } from '../community-assets/routes.ts';
import { directoryServices, directoryServiceTaxonomies, directoryTaxonomyTerms } from '../community-assets/schema.ts';
import { searchServices, type SearchRow } from '../community-assets/search.ts';
import { isUuid } from './web.ts';
import { linkDateErrors, pastDate } from '../../platform/web/dates.ts';
import { seal } from './people.ts';
import { connectionOutcomeNames, connectionOutcomes, supportConnections, type ConnectionOutcome } from './schema.ts';

/**
 * Connections from a supported person to groups, assets and services in the community directory, and what came of
 * each. The service's name is copied, so the record still reads when the directory entry is deleted; the note is
 * personal and encrypted.
 */

export const connectionNoteMaxLength = 2_000;
export const searchLimit = 20;

type Checked<T> = { ok: true; input: T } | { ok: false; errors: FormErrors };

export type ConnectionInput = { serviceId: string; connectedOn: string; outcome: ConnectionOutcome; note: string | null };

const outcomeOf = (form: Form): ConnectionOutcome | null => {
  const typed = text(form, 'outcome');
  return (connectionOutcomes as readonly string[]).includes(typed) ? (typed as ConnectionOutcome) : null;
};

function readNote(form: Form, fail: (field: string, message: string) => void): string | null {
  const note = text(form, 'note').trim();
  if (note.length > connectionNoteMaxLength) fail('note', `The note must be ${connectionNoteMaxLength.toLocaleString('en-GB')} characters or fewer`);
  return note || null;
}

/** The form checked, all but whether the service exists (which needs the database: see serviceToConnect). */
export function readConnectionForm(form: Form, today: string): Checked<ConnectionInput> {
  const { errors, fail } = formProblems();
  const serviceId = text(form, 'serviceId').trim();
  if (!serviceId) fail('serviceId', 'Choose a group, place or service from the directory');
  const connectedOn = pastDate(form, 'connectedOn', 'they were connected', today, fail);
  // A fresh connection has only been suggested unless the form says otherwise.
  const outcome = text(form, 'outcome') ? outcomeOf(form) : 'suggested';
  if (!outcome) fail('outcome', 'Choose what has come of it so far');
  const note = readNote(form, fail);
  if (errors.summary.length || !connectedOn || !outcome) return { ok: false, errors: linkDateErrors(errors, ['connectedOn']) };
  return { ok: true, input: { serviceId, connectedOn, outcome, note } };
}

export type OutcomeInput = { outcome: ConnectionOutcome; outcomeOn: string; note: string | null };

export function readOutcomeForm(form: Form, today: string, connectedOn: string): Checked<OutcomeInput> {
  const { errors, fail } = formProblems();
  const outcome = outcomeOf(form);
  if (!outcome) fail('outcome', 'Choose what has come of it');
  const outcomeOn = pastDate(form, 'outcomeOn', 'of the outcome', today, fail);
  if (outcomeOn && outcomeOn < connectedOn) fail('outcomeOn', 'The date of the outcome must be on or after the date they were connected');
  const note = readNote(form, fail);
  if (errors.summary.length || !outcome || !outcomeOn) return { ok: false, errors: linkDateErrors(errors, ['outcomeOn']) };
  return { ok: true, input: { outcome, outcomeOn, note } };
}

/** A directory entry that can be connected to: it exists and has not been merged into another. */
export async function serviceToConnect(tx: Tx, serviceId: string): Promise<{ id: string; name: string; description: string | null; sample: boolean } | null> {
  if (!isUuid(serviceId)) return null;
  const [row] = await tx
    .select({ id: directoryServices.id, name: directoryServices.name, description: directoryServices.description, sample: directoryServices.sample })
    .from(directoryServices)
    .where(and(eq(directoryServices.id, serviceId), isNull(directoryServices.mergedIntoId)));
  return row ?? null;
}

export async function insertConnection(tx: Tx, dataKey: DataKey, personId: string, service: { id: string; name: string }, input: ConnectionInput): Promise<string> {
  const id = randomUUID();
  await tx.insert(supportConnections).values({
    id,
    personId,
    serviceId: service.id,
    serviceName: service.name,
    connectedOn: input.connectedOn,
    outcome: input.outcome,
    // Only a real outcome has a date; "suggested" is where every connection starts.
    outcomeOn: input.outcome === 'suggested' ? null : input.connectedOn,
    noteEnc: dataKey.encrypt(input.note, seal('support_connections', id, 'note')),
  });
  return id;
}

export type ConnectionRow = {
  id: string;
  serviceId: string | null;
  serviceName: string;
  serviceHref: string | null;
  categories: string[];
  connectedOn: string;
  outcome: ConnectionOutcome;
  outcomeName: string;
  outcomeOn: string | null;
  note: string | null;
};

/** One of this person's connections; anyone else's is not there. */
export async function connectionOf(tx: Tx, dataKey: DataKey, personId: string, connectionId: string): Promise<ConnectionRow | null> {
  if (!isUuid(connectionId)) return null;
  const rows = await connectionRows(tx, dataKey, personId, connectionId);
  return rows[0] ?? null;
}

/** A person's connections, most recent first, with their directory categories and a link while the entry exists. */
export const connectionsOf = (tx: Tx, dataKey: DataKey, personId: string) => connectionRows(tx, dataKey, personId, null);

async function connectionRows(tx: Tx, dataKey: DataKey, personId: string, connectionId: string | null): Promise<ConnectionRow[]> {
  const rows = await tx
    .select({ connection: supportConnections, stillListed: directoryServices.id })
    .from(supportConnections)
    .leftJoin(directoryServices, eq(directoryServices.id, supportConnections.serviceId))
    .where(and(eq(supportConnections.personId, personId), connectionId ? eq(supportConnections.id, connectionId) : undefined))
    .orderBy(desc(supportConnections.connectedOn), desc(supportConnections.createdAt));
  const serviceIds = [...new Set(rows.map((r) => r.connection.serviceId).filter((id): id is string => id !== null))];
  const terms = serviceIds.length
    ? await tx
        .select({ serviceId: directoryServiceTaxonomies.serviceId, name: directoryTaxonomyTerms.name })
        .from(directoryServiceTaxonomies)
        .innerJoin(directoryTaxonomyTerms, eq(directoryTaxonomyTerms.id, directoryServiceTaxonomies.termId))
        .where(inArray(directoryServiceTaxonomies.serviceId, serviceIds))
        .orderBy(directoryTaxonomyTerms.name)
    : [];
  return rows.map(({ connection: c, stillListed }) => ({
    id: c.id,
    serviceId: c.serviceId,
    serviceName: c.serviceName,
    serviceHref: stillListed ? publicPath(stillListed) : null,
    categories: terms.filter((t) => t.serviceId === c.serviceId).map((t) => t.name),
    connectedOn: c.connectedOn,
    outcome: c.outcome,
    outcomeName: connectionOutcomeNames[c.outcome],
    outcomeOn: c.outcomeOn,
    note: dataKey.decrypt(c.noteEnc, seal('support_connections', c.id, 'note')),
  }));
}

/** Records what came of a connection; the note typed replaces the one before (the form starts with it filled in). */
export async function setConnectionOutcome(tx: Tx, dataKey: DataKey, connectionId: string, input: OutcomeInput): Promise<void> {
  await tx
    .update(supportConnections)
    .set({ outcome: input.outcome, outcomeOn: input.outcomeOn, noteEnc: dataKey.encrypt(input.note, seal('support_connections', connectionId, 'note')), updatedAt: new Date() })
    .where(eq(supportConnections.id, connectionId));
}

// ---- Finding something to connect to ----------------------------------------------------------------------------

/**
 * Active directory entries matching the words typed, best first; with no words, those nearest the middle of the
 * person's neighbourhood (their 2021 LSOA), when it is known.
 */
export async function servicesToConnect(tx: Tx, words: string, lsoa21: string | null): Promise<{ rows: SearchRow[]; total: number; near: boolean }> {
  if (words.trim()) {
    const result = await searchServices(tx, { words: words.trim() }, { page: 1, size: searchLimit });
    return { rows: result.rows, total: result.total, near: false };
  }
  if (!lsoa21) return { rows: [], total: 0, near: false };
  const [middle] = await queryRows<{ longitude: number | null; latitude: number | null }>(tx, sql`select ST_X(coalesce(weighted_centroid, centroid)) as longitude, ST_Y(coalesce(weighted_centroid, centroid)) as latitude from areas where vintage = 'lsoa21' and code = ${lsoa21}`);
  if (middle?.longitude == null || middle.latitude == null) return { rows: [], total: 0, near: false };
  const result = await searchServices(tx, { near: { longitude: Number(middle.longitude), latitude: Number(middle.latitude), metres: null } }, { page: 1, size: searchLimit });
  return { rows: result.rows, total: result.total, near: true };
}

// ---- For aggregates ---------------------------------------------------------------------------------------------

/**
 * How many connections, and how many people, each directory category has among some people (a connection counts
 * under each of its service's categories). Counts only: callers suppress small numbers before showing them.
 */
export async function connectionCategories(tx: Tx, personIds: string[]): Promise<{ termId: string; name: string; connections: number; people: number }[]> {
  if (!personIds.length) return [];
  const rows = await queryRows<{ term_id: string; name: string; connections: number; people: number }>(
    tx,
    sql`select t.id as term_id, t.name, count(*)::int as connections, count(distinct c.person_id)::int as people
        from ${supportConnections} c
        join ${directoryServiceTaxonomies} st on st.service_id = c.service_id
        join ${directoryTaxonomyTerms} t on t.id = st.term_id
        where c.person_id in (${sql.join(
          personIds.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})
        group by t.id, t.name
        order by connections desc, t.name`,
  );
  return rows.map((r) => ({ termId: r.term_id, name: r.name, connections: Number(r.connections), people: Number(r.people) }));
}
