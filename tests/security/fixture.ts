import { sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { queryRows, type Tx } from '../../src/platform/db/database.ts';
import { sampleRecord } from '../../src/capabilities/community-assets/testing.ts';
import { createService } from '../../src/capabilities/community-assets/service.ts';
import { sampleCampaign } from '../../src/capabilities/community-voice/testing.ts';
import { recordResponse } from '../../src/capabilities/community-voice/responses.ts';
import { addTheme } from '../../src/capabilities/community-voice/themes.ts';
import { seedCommunityWealth } from '../../src/capabilities/community-wealth/testing.ts';
import { addContract, addMeasure } from '../../src/capabilities/community-wealth/social-value.ts';
import { sampleFund, insidePostcode, wardOfPostcode } from '../../src/capabilities/funds/testing.ts';
import { submitProposal } from '../../src/capabilities/funds/rounds.ts';
import { createOutcome } from '../../src/capabilities/impact/outcomes.ts';
import { createModel } from '../../src/capabilities/impact/models.ts';
import { createProxy } from '../../src/capabilities/impact/proxies.ts';
import { createStory } from '../../src/capabilities/impact/story-service.ts';
import { partnershipOrganisations, partnerships } from '../../src/capabilities/partnerships/schema.ts';
import { createAction, createAim, createPriority } from '../../src/capabilities/partnerships/plan.ts';
import { createMeeting } from '../../src/capabilities/partnerships/meetings.ts';
import { supportTeamMembers, supportTeams } from '../../src/capabilities/supporting-people/schema.ts';
import { samplePerson } from '../../src/capabilities/supporting-people/testing.ts';
import { Client, emailOf, seedPeople, startTestApp } from '../support/app.ts';
import type { TestDatabase } from '../support/engines.ts';
import { getRoutes, routeUrl } from '../support/route-matrix.ts';

/**
 * What the security pass shares: a database with something in most tables (each capability's own seeding
 * helpers, plus one of each record the pages list), every stored free-text column overwritten with hostile
 * text, and a crawl of every GET route of the route matrix with real ids.
 */

const none = '00000000-0000-4000-8000-000000000000';

export type RichFixture = { app: FastifyInstance; params: Record<string, string>; organisationId: string; userIds: Record<string, string> };

/** Seeds the rich fixture and starts an app over it. */
export async function seedRich(database: TestDatabase): Promise<RichFixture> {
  const db = database.db;
  const seeded = await seedPeople(database);
  const { organisationId, userIds } = seeded;
  const wealth = await seedCommunityWealth(database, seeded);
  const app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });

  const { campaign, questions } = await sampleCampaign(db, organisationId, { sample: true });
  const answered = await recordResponse(
    db,
    campaign,
    questions,
    {
      answers: { [questions[0]!.id]: { text: 'The park and the people' }, [questions[1]!.id]: { choices: ['1 to 5 years'] }, [questions[2]!.id]: { scale: 4 } },
      demographicsConsent: false,
      contact: { name: 'Sample Resident', email: 'resident@example.org', consent: true },
    },
    { channel: 'public' },
    cliActor,
  );
  const theme = await addTheme(db, organisationId, { name: 'Green spaces', description: 'Parks and play' }, cliActor);

  const { fund, round } = await sampleFund(db, organisationId, { phase: 'proposals' as never });
  const proposal = await submitProposal(db, round, {
    title: 'Community garden',
    summary: 'Planters by the library',
    description: 'Raised beds for everyone',
    amount: '1500',
    applicantKind: 'group',
    groupName: 'Friends of the Library',
    registeredNumber: '',
    area: `ward25:${await wardOfPostcode(db, insidePostcode)}`,
    postcode: insidePostcode,
    contactName: 'Pat Sample',
    contactEmail: 'pat@example.org',
  }, cliActor);

  const serviceId = await createService(
    db,
    sampleRecord({
      description: 'A place to meet',
      url: 'https://example.org/pemberton',
      fees: 'None',
      eligibility: 'Anyone',
      accessibility: 'Step-free',
      locations: [{ name: 'Pemberton Community Centre', address1: '1 Sample Street', city: 'Wigan', postcode: 'WN5 9AA', longitude: null, latitude: null, accessibility: 'Ramp' }],
      schedules: [{ freq: 'WEEKLY', interval: 1, byDay: 'TU', opensAt: '10:00', closesAt: '12:00', validFrom: null, validTo: null, description: 'Lunch club' }],
      contacts: [{ kind: 'organisation', name: 'Bookings', title: 'Desk', phone: '01942 000000', email: 'bookings@example.org', public: true }],
    }),
    { organisationId, userId: null },
    cliActor,
  );

  const [partnership] = await db.insert(partnerships).values({ name: 'Security pass partnership (sample data)', leadOrganisationId: organisationId, description: 'Working together' } as never).returning({ id: partnerships.id });
  const partnershipId = partnership!.id;
  await db.insert(partnershipOrganisations).values({ partnershipId, organisationId });
  const aimId = await createAim(db, organisationId, { title: 'Healthy places', description: 'Everyone lives well' }, cliActor);
  const priorityId = await createPriority(db, partnershipId, { title: 'Loneliness', description: 'Fewer people alone', aimId }, cliActor);
  const meetingId = await createMeeting(db, partnershipId, { heldOn: '2026-01-14', title: 'January board', agenda: 'Plans for spring', userIds: [], others: ['Sam Visitor'] }, cliActor);
  const actionId = await createAction(
    db,
    partnershipId,
    { priorityId, title: 'Open a warm space', description: 'At the library', ownerOrganisationId: organisationId, leadName: 'Lee Lead', leadUserId: '', startOn: '2026-01-01', dueOn: '2026-06-01', status: 'on-track', public: false },
    { actor: cliActor, organisationIds: [organisationId] },
  );
  const outcomeId = await db.transaction((tx) => createOutcome(tx, partnershipId, { title: 'People feel less alone', description: 'Measured by survey', agreedWith: 'Residents', agreedOn: '2026-01-02' }, cliActor));
  const storyId = await createStory(db, partnershipId, { toldOn: '2026-02-01', title: 'Meeting neighbours', body: 'I came for tea and stayed', quote: 'I feel at home', consent: 'given', consentOn: '2026-02-01', outcomeIds: [outcomeId], areas: [], sample: true } as never, cliActor);
  const modelId = await createModel(db, partnershipId, { title: 'Warm spaces model', period: '2025 to 2026', discountRate: 3.5, discountRateSource: 'Green Book' }, cliActor);
  const proxyId = await createProxy(db, organisationId, { name: 'Wellbeing from volunteering', value: 100, unit: 'person a year', source: 'HACT', sourceUrl: null, priceYear: 2024 }, cliActor);
  const measureId = await addMeasure(db, organisationId, { name: 'Local jobs', unit: 'jobs', proxyValue: 100, proxySource: 'TOMs' }, cliActor);
  const contractId = await addContract(db, organisationId, { title: 'Road repairs', reference: 'C-1', supplierId: null, startsOn: '2025-04-01', endsOn: '2026-03-31', valuePence: 100_000 }, [{ measureId: String(measureId), promised: 5, areaVintage: null, areaCode: null }], cliActor);

  const [team] = await db.insert(supportTeams).values({ organisationId, name: 'North Local Area Coordination' }).returning({ id: supportTeams.id });
  await db.insert(supportTeamMembers).values({ teamId: team!.id, userId: userIds.coordinator!, role: 'coordinator' });
  const personId = await samplePerson(db, app.keyring, team!.id, userIds.coordinator!);

  const css = /href="\/assets\/([^"]+\.css)"/.exec((await app.inject({ url: '/' })).body)![1]!;
  const ids = (v: unknown) => String(v);
  const params: Record<string, string> = {
    slug: 'test-org',
    name: css,
    token: 'A'.repeat(43),
    edition: 'sample21',
    code: 'E08000010',
    layer: 'lsoa21',
    id: 'sample21.imd',
    z: '0',
    x: '0',
    y: '0',
    userId: userIds.member!,
    neighbourhoodId: wealth.neighbourhoodId,
    sourceId: wealth.sourceId,
    supplierId: Object.values(wealth.supplierIds)[0]!,
    contractId: ids(contractId),
    serviceId,
    partnershipId,
    campaignId: campaign.id,
    responseId: answered.status === 'refused' ? none : answered.id,
    themeId: ids((theme as { id: string }).id),
    fundId: fund.id,
    roundId: round.id,
    proposalId: 'id' in proposal ? proposal.id : none,
    priorityId,
    actionId,
    aimId,
    meetingId,
    personId,
    teamId: team!.id,
    outcomeId,
    storyId,
    modelId,
    proxyId,
  };
  return { app, params, organisationId, userIds };
}

/** Column names that hold identifiers, codes or machine values rather than what people wrote. */
const notFreeText = /(^id$|_id$|_ids$|slug|code|email|hash|token|secret|key|^kind$|kind$|status|state|phase|vintage|postcode|phone|lsoa|ward|lad\d|msoa|geometry|geojson|mapping|json|^channel$|^role$|method|consent$|sharing|purpose|direction|^unit$|domain|licence|edition|mime|content_type|file|^sha|etag|ip$|user_agent|request_id|^action$|object_type|^version|language|locale|timezone|fingerprint|^format|^type$|nonce|^iv$|salt|^period$|colour|color|^sort|scheme|password|cipher|encrypted|wrapped|_enc$)/;

export type Poisoned = { columns: string[]; skipped: { column: string; reason: string }[] };

/**
 * Overwrites every stored free-text column (text or varchar, not an id, code, email, enum-like or check-constrained
 * column) with `payloadFor(column)`, each in its own savepoint so that one refused update (a constraint, a trigger such
 * as the append-only audit log) skips that column and keeps the rest. Returns what was poisoned and what was skipped.
 */
export async function poisonText(database: TestDatabase, payloadFor: (column: string, index: number) => string): Promise<Poisoned> {
  const columns = await queryRows<{ table_name: string; column_name: string; checked: boolean }>(
    database.db,
    sql`select c.table_name, c.column_name,
          exists (select 1 from pg_constraint k join pg_class t on t.oid = k.conrelid join pg_attribute a on a.attrelid = t.oid and a.attnum = any(k.conkey)
                  where k.contype = 'c' and t.relname = c.table_name and a.attname = c.column_name) as checked
        from information_schema.columns c join information_schema.tables t on t.table_name = c.table_name and t.table_schema = c.table_schema
        where c.table_schema = 'public' and t.table_type = 'BASE TABLE' and c.data_type in ('text', 'character varying')
        order by c.table_name, c.ordinal_position`,
  );
  const poisoned: Poisoned = { columns: [], skipped: [] };
  await database.db.transaction(async (tx: Tx) => {
    let index = 0;
    for (const { table_name: table, column_name: column, checked } of columns) {
      const name = `${table}.${column}`;
      if (notFreeText.test(column) || table.startsWith('__') || table === 'page_cache') continue;
      if (checked) {
        poisoned.skipped.push({ column: name, reason: 'check constraint' });
        continue;
      }
      try {
        const payload = payloadFor(name, index);
        const changed = await tx.transaction(async (sp) =>
          queryRows<{ n: number }>(sp, sql`with u as (update ${sql.identifier(table)} set ${sql.identifier(column)} = ${payload} where ${sql.identifier(column)} is not null returning 1) select count(*)::int as n from u`),
        );
        if (changed[0]!.n > 0) {
          poisoned.columns.push(name);
          index++;
        } else poisoned.skipped.push({ column: name, reason: 'no rows' });
      } catch (error) {
        poisoned.skipped.push({ column: name, reason: (error as Error).message.split('\n')[0]!.slice(0, 80) });
      }
    }
  });
  return poisoned;
}

export type Crawled = { route: string; url: string; who: string; response: LightMyRequestResponse };

/**
 * Every GET route of the route matrix, with the fixture's ids, as a site administrator (who sees every organisation's
 * pages) or, for support records, as the supported person's coordinator (who alone sees them).
 */
export async function crawl(fixture: RichFixture, each: (page: Crawled) => void | Promise<void>): Promise<number> {
  const none = '00000000-0000-4000-8000-000000000000';
  const who = { 'site-admin': new Client(fixture.app), coordinator: new Client(fixture.app) };
  for (const [name, client] of Object.entries(who)) {
    const signed = await client.signIn(emailOf(name as 'site-admin'));
    if (signed.statusCode !== 303) throw new Error(`${name} could not sign in (${signed.statusCode})`);
  }
  let pages = 0;
  for (const route of getRoutes()) {
    const url = routeUrl(route, new Proxy(fixture.params, { get: (t, k: string) => t[k] ?? none }));
    // Only the supported person's coordinator sees support records; everything else the site administrator sees.
    const name = route.startsWith('/support') ? 'coordinator' : 'site-admin';
    await each({ route, url, who: name, response: await who[name].get(url) });
    pages++;
  }
  return pages;
}
