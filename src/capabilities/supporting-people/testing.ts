import type { FastifyInstance } from 'fastify';
import { Client, addPerson, testPassword, type Visitor, emailOf } from '../../../tests/support/app.ts';
import { cliActor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import type { Keyring } from '../../platform/crypto/envelope.ts';
import type { Database, Db } from '../../platform/db/database.ts';
import { loadWiganPlaces } from '../community-voice/testing.ts';
import { placePostcode } from '../geography/place-postcode.ts';
import { partnershipOrganisations, partnerships } from '../partnerships/schema.ts';
import { insertPerson, type NewIntroduction, type NewPerson } from './people.ts';
import { supportTeamMembers, supportTeams } from './schema.ts';

/**
 * What the supporting-people tests share: the people the personal-records permission matrix is checked against, in
 * teams, and sample supported people (invented: sample data).
 *
 * Built on tests/support/app.ts seedPeople ("test-org" with one member per role). Here:
 * - coordinator@example.org (test-org coordinator) holds the North team's caseload;
 * - lead@example.org (test-org member) leads the North team;
 * - south@example.org (test-org coordinator) is a coordinator in the South team of the same organisation;
 * - elsewhere@example.org coordinates in another organisation's team ("other-org", Elsewhere team);
 * - partner@example.org is a member of "partner-org", which is in a partnership with test-org;
 * - admin@example.org (test-org admin) and the site admin are in no team.
 */
export type SupportPeopleFixture = {
  organisationId: string;
  otherOrganisationId: string;
  partnerOrganisationId: string;
  partnershipId: string;
  northTeamId: string;
  southTeamId: string;
  elsewhereTeamId: string;
  userIds: Record<SupportVisitor, string>;
};

/** The visitors the personal-records matrix names (besides anonymous and the site admin). */
export const supportVisitors = ['coordinator', 'lead', 'south', 'elsewhere', 'partner', 'admin', 'site-admin'] as const;
export type SupportVisitor = (typeof supportVisitors)[number];
export const supportEmail = (who: SupportVisitor) => (who === 'coordinator' || who === 'admin' || who === 'site-admin' ? emailOf(who as Exclude<Visitor, 'anonymous'>) : `${who}@example.org`);

export async function seedSupportTeams(database: Database, seeded: { organisationId: string; userIds: Record<string, string> }): Promise<SupportPeopleFixture> {
  const db = database.db;
  const [other] = await db.insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'nhs' }).returning({ id: organisations.id });
  const [partnerOrg] = await db.insert(organisations).values({ slug: 'partner-org', name: 'Partner Organisation', kind: 'council' }).returning({ id: organisations.id });
  const lead = await addPerson(database, 'lead@example.org', seeded.organisationId, 'member', 'Lena Lead');
  const south = await addPerson(database, 'south@example.org', seeded.organisationId, 'coordinator', 'Sam South');
  const elsewhere = await addPerson(database, 'elsewhere@example.org', other!.id, 'coordinator', 'Elsie Elsewhere');
  const partner = await addPerson(database, 'partner@example.org', partnerOrg!.id, 'member', 'Parveen Partner');
  const [north] = await db.insert(supportTeams).values({ organisationId: seeded.organisationId, name: 'North Local Area Coordination' }).returning({ id: supportTeams.id });
  const [southTeam] = await db.insert(supportTeams).values({ organisationId: seeded.organisationId, name: 'South Local Area Coordination' }).returning({ id: supportTeams.id });
  const [elsewhereTeam] = await db.insert(supportTeams).values({ organisationId: other!.id, name: 'Social prescribing link workers' }).returning({ id: supportTeams.id });
  await db.insert(supportTeamMembers).values([
    { teamId: north!.id, userId: seeded.userIds.coordinator!, role: 'coordinator' },
    { teamId: north!.id, userId: lead, role: 'lead' },
    { teamId: southTeam!.id, userId: south, role: 'coordinator' },
    { teamId: elsewhereTeam!.id, userId: elsewhere, role: 'coordinator' },
  ]);
  const [partnership] = await db
    .insert(partnerships)
    .values({ name: 'Wigan Neighbourhood Partnership (sample data)', leadOrganisationId: seeded.organisationId })
    .returning({ id: partnerships.id });
  await db.insert(partnershipOrganisations).values([
    { partnershipId: partnership!.id, organisationId: seeded.organisationId },
    { partnershipId: partnership!.id, organisationId: partnerOrg!.id },
  ]);
  return {
    organisationId: seeded.organisationId,
    otherOrganisationId: other!.id,
    partnerOrganisationId: partnerOrg!.id,
    partnershipId: partnership!.id,
    northTeamId: north!.id,
    southTeamId: southTeam!.id,
    elsewhereTeamId: elsewhereTeam!.id,
    userIds: { coordinator: seeded.userIds.coordinator!, lead, south, elsewhere, partner, admin: seeded.userIds.admin!, 'site-admin': seeded.userIds['site-admin']! },
  };
}

/** Distinctive text the raw-dump test looks for: none of it may appear in the database's files. */
export const secretName = 'Zebedee Quillfeather';
export const secretEmail = 'zebedee.quillfeather@example.net';
export const secretPhone = '07700 900461';

/**
 * A supported person (sample data) in a team, coordinated by `coordinatorUserId`. With `postcode` (needs
 * loadWiganPlaces first) their areas are found as the form would; otherwise they have none.
 */
export async function samplePerson(db: Db, keyring: Keyring, teamId: string, coordinatorUserId: string, overrides: Omit<Partial<NewPerson>, 'postcode'> & { postcode?: string; introduction?: Partial<NewIntroduction> } = {}): Promise<string> {
  const { postcode, introduction, ...rest } = overrides;
  let place: NewPerson['postcode'] = null;
  if (postcode) {
    const placed = await placePostcode(db, postcode);
    if (!placed.ok) throw new Error(placed.message);
    place = placed.place;
  }
  return db.transaction((tx) =>
    insertPerson(
      tx,
      keyring,
      {
        teamId,
        coordinatorUserId,
        name: secretName,
        contact: { email: secretEmail, phone: secretPhone, address: '12 Sample Street, Wigan' },
        postcode: place,
        dateOfBirth: '1958-03-14',
        ageBand: '65-74',
        consentStatus: 'given',
        consentOn: '2026-09-01',
        demographics: null,
        sample: true,
        ...rest,
      },
      { introducedOn: '2026-09-01', route: 'gp-pcn', introducer: 'Pemberton Surgery', reason: 'Lonely since moving here; wants to get out more', ...introduction },
      cliActor,
    ),
  );
}

/** Signed-in clients for the supporting-people visitors, with Wigan's places loaded once on first use. */
export function supportHarness(h: { database: { db: Db }; app: FastifyInstance }) {
  let placesLoaded = false;
  const places = async () => {
    if (!placesLoaded) {
      await loadWiganPlaces(h.database.db);
      placesLoaded = true;
    }
  };
  const signedIn = async (who: SupportVisitor) => {
    const client = new Client(h.app);
    const response = await client.signIn(supportEmail(who), testPassword);
    if (response.statusCode !== 303) throw new Error(`${who} could not sign in (${response.statusCode})`);
    return client;
  };
  return { places, signedIn };
}
