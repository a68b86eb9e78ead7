import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import type { DataKey, Keyring } from '../../platform/crypto/envelope.ts';
import type { Tx } from '../../platform/db/database.ts';
import { supportIntroductions, supportPeople, supportTeams, type ConsentStatus, type IntroductionRoute, type SupportAgeBand, type SupportPerson } from './schema.ts';

/**
 * A supported person's record: made with its own data key, and read back decrypted. Every encrypted value is bound
 * to its table, row and column (`seal`), so it cannot be moved to another person or field.
 */

export const seal = (table: string, id: string, column: string) => `${table}:${id}:${column}`;

export type Contact = { email: string | null; phone: string | null; address: string | null };
/** Optional demographics, kept only with the person's agreement; the same categories as community voice uses. */
export type Demographics = Partial<Record<'gender' | 'ethnicGroup' | 'disability' | 'sexualOrientation' | 'religion' | 'firstLanguage', string>>;

export type NewPerson = {
  teamId: string;
  coordinatorUserId: string;
  name: string;
  contact: Contact;
  /** Already checked and placed by the caller (geography/place-postcode.ts): kept encrypted, its areas in plain. */
  postcode: { display: string; lsoa21: string | null; ward25: string | null; lad25: string | null } | null;
  /** YYYY-MM-DD, or null when only an age band is known. */
  dateOfBirth: string | null;
  ageBand: SupportAgeBand | null;
  consentStatus: ConsentStatus;
  consentOn: string;
  demographics: Demographics | null;
  sample?: boolean;
};

export type NewIntroduction = { introducedOn: string; route: IntroductionRoute; introducer: string | null; reason: string | null };

/** The age band on a date, from a date of birth. */
export function ageBandOn(dateOfBirth: string, on: string): SupportAgeBand {
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = on.split('-').map(Number) as [number, number, number];
  const age = y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
  if (age < 18) return 'under-18';
  if (age < 25) return '18-24';
  if (age < 35) return '25-34';
  if (age < 50) return '35-49';
  if (age < 65) return '50-64';
  if (age < 75) return '65-74';
  if (age < 85) return '75-84';
  return '85-plus';
}

/** Writes a new person with their first introduction, in the caller's transaction. Audit details never hold personal data. */
export async function insertPerson(tx: Tx, keyring: Keyring, person: NewPerson, introduction: NewIntroduction, actor: Actor): Promise<string> {
  const id = randomUUID();
  const { dataKey, wrapped } = keyring.newDataKey(seal('support_people', id, 'key'));
  const at = (column: string) => seal('support_people', id, column);
  await tx.insert(supportPeople).values({
    id,
    teamId: person.teamId,
    coordinatorUserId: person.coordinatorUserId,
    wrappedKey: wrapped,
    nameEnc: dataKey.encrypt(person.name, at('name')),
    contactEnc: dataKey.encryptJson(person.contact, at('contact')),
    postcodeEnc: dataKey.encrypt(person.postcode?.display ?? null, at('postcode')),
    dateOfBirthEnc: dataKey.encrypt(person.dateOfBirth, at('date_of_birth')),
    demographicsEnc: dataKey.encryptJson(person.demographics && Object.keys(person.demographics).length ? person.demographics : null, at('demographics')),
    ageBand: person.ageBand,
    lsoa21: person.postcode?.lsoa21 ?? null,
    ward25: person.postcode?.ward25 ?? null,
    lad25: person.postcode?.lad25 ?? null,
    consentStatus: person.consentStatus,
    consentOn: person.consentOn,
    sample: person.sample ?? false,
  });
  await insertIntroduction(tx, dataKey, id, introduction, actor.userId);
  const [team] = await tx.select({ organisationId: supportTeams.organisationId }).from(supportTeams).where(eq(supportTeams.id, person.teamId));
  await recordAudit(tx, { actor, action: 'support.person.create', objectType: 'support-person', objectId: id, organisationId: team?.organisationId ?? null, details: { teamId: person.teamId, route: introduction.route } });
  return id;
}

export async function insertIntroduction(tx: Tx, dataKey: DataKey, personId: string, introduction: NewIntroduction, recordedBy: string | null): Promise<string> {
  const id = randomUUID();
  await tx.insert(supportIntroductions).values({
    id,
    personId,
    introducedOn: introduction.introducedOn,
    route: introduction.route,
    introducerEnc: dataKey.encrypt(introduction.introducer, seal('support_introductions', id, 'introducer')),
    reasonEnc: dataKey.encrypt(introduction.reason, seal('support_introductions', id, 'reason')),
    recordedBy,
  });
  return id;
}

/** The person's data key, for reading or writing their encrypted fields; null once erased. */
export async function personDataKey(tx: Tx, keyring: Keyring, personId: string): Promise<DataKey | null> {
  const [row] = await tx.select({ wrappedKey: supportPeople.wrappedKey }).from(supportPeople).where(eq(supportPeople.id, personId));
  return row?.wrappedKey ? keyring.unwrap(row.wrappedKey, seal('support_people', personId, 'key')) : null;
}

export type PersonRecord = Omit<SupportPerson, 'wrappedKey' | 'nameEnc' | 'contactEnc' | 'postcodeEnc' | 'dateOfBirthEnc' | 'demographicsEnc'> & {
  name: string;
  contact: Contact;
  postcode: string | null;
  dateOfBirth: string | null;
  demographics: Demographics | null;
};

/** Decrypts a person's own fields (not their notes, goals and the rest, which each page decrypts as it needs). */
export function decryptPerson(keyring: Keyring, row: SupportPerson): PersonRecord & { dataKey: DataKey } {
  if (!row.wrappedKey) throw new Error(`Person ${row.id} has been erased`);
  const dataKey = keyring.unwrap(row.wrappedKey, seal('support_people', row.id, 'key'));
  const at = (column: string) => seal('support_people', row.id, column);
  const { wrappedKey: _w, nameEnc, contactEnc, postcodeEnc, dateOfBirthEnc, demographicsEnc, ...plain } = row;
  return {
    ...plain,
    dataKey,
    name: dataKey.decrypt(nameEnc, at('name')) ?? '',
    contact: dataKey.decryptJson<Contact>(contactEnc, at('contact')) ?? { email: null, phone: null, address: null },
    postcode: dataKey.decrypt(postcodeEnc, at('postcode')),
    dateOfBirth: dataKey.decrypt(dateOfBirthEnc, at('date_of_birth')),
    demographics: dataKey.decryptJson<Demographics>(demographicsEnc, at('demographics')),
  };
}

export async function readPerson(tx: Tx, keyring: Keyring, personId: string): Promise<(PersonRecord & { dataKey: DataKey }) | null> {
  const [row] = await tx.select().from(supportPeople).where(eq(supportPeople.id, personId));
  return row?.wrappedKey ? decryptPerson(keyring, row) : null;
}
