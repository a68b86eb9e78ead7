import { addPerson } from '../../../tests/support/app.ts';
import { organisations } from '../../platform/auth/schema.ts';
import type { Database } from '../../platform/db/database.ts';
import { partnershipAreas, partnershipOrganisations, partnerships } from '../partnerships/schema.ts';

/**
 * What the impact tests share, built on tests/support/app.ts seedPeople ("test-org", one member per role):
 * - "Sample Marsh Green Partnership", led by test-org, with "partner-org" taking part; it covers the 2019 ward
 *   Worsley Mesnes (E05000864) in Wigan, so linked measures and area pages have a place;
 * - partner@example.org is a member of partner-org (so of the partnership, but not of test-org);
 * - "Sample Elsewhere Partnership" of "other-org", whose outcomes, stories and models test-org's people must not reach;
 *   elsewhere@example.org is a member of other-org.
 * Everything here is invented sample data.
 */
export type ImpactFixture = {
  partnershipId: string;
  otherPartnershipId: string;
  organisationId: string;
  partnerOrganisationId: string;
  otherOrganisationId: string;
  wardCode: string;
  wardVintage: string;
  userIds: { partner: string; elsewhere: string };
};

export const impactWard = { vintage: 'ward19', code: 'E05000864' };

export async function seedImpact(database: Database, seeded: { organisationId: string }): Promise<ImpactFixture> {
  const db = database.db;
  const [partnerOrg] = await db.insert(organisations).values({ slug: 'partner-org', name: 'Partner Organisation', kind: 'nhs' }).returning({ id: organisations.id });
  const [otherOrg] = await db.insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'council' }).returning({ id: organisations.id });
  const partner = await addPerson(database, 'partner@example.org', partnerOrg!.id, 'member', 'Parveen Partner');
  const elsewhere = await addPerson(database, 'elsewhere@example.org', otherOrg!.id, 'member', 'Elsie Elsewhere');
  const [p] = await db.insert(partnerships).values({ name: 'Sample Marsh Green Partnership', leadOrganisationId: seeded.organisationId }).returning({ id: partnerships.id });
  await db.insert(partnershipOrganisations).values([
    { partnershipId: p!.id, organisationId: seeded.organisationId },
    { partnershipId: p!.id, organisationId: partnerOrg!.id },
  ]);
  await db.insert(partnershipAreas).values({ partnershipId: p!.id, areaVintage: impactWard.vintage, areaCode: impactWard.code });
  const [q] = await db.insert(partnerships).values({ name: 'Sample Elsewhere Partnership', leadOrganisationId: otherOrg!.id }).returning({ id: partnerships.id });
  await db.insert(partnershipOrganisations).values({ partnershipId: q!.id, organisationId: otherOrg!.id });
  return {
    partnershipId: p!.id,
    otherPartnershipId: q!.id,
    organisationId: seeded.organisationId,
    partnerOrganisationId: partnerOrg!.id,
    otherOrganisationId: otherOrg!.id,
    wardCode: impactWard.code,
    wardVintage: impactWard.vintage,
    userIds: { partner, elsewhere },
  };
}
