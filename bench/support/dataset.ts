/**
 * Realistic volumes on a loaded national database, for the scale benchmark (bench/scale.ts): every record made here
 * is invented and labelled sample data.
 *
 * - Community assets: `services` directory records over all of England where people live
 *   (generateSampleServices, as bench/directory-search.ts and bench/asset-gaps.ts make theirs).
 * - Supporting people: `people` supported people with their first introduction (some introduced twice), spread over
 *   the wards of the districts whose postcodes are bundled (Wigan, Calderdale, Sunderland), in teams of two
 *   organisations of one partnership, so its insight page counts them all; a share with connections to directory
 *   records in those districts and ONS4 (and some SWEMWBS) wellbeing measures; one coordinator with a caseload of
 *   `caseload` people. Rows are exactly what insertPerson, insertIntroduction, insertConnection and insertWellbeing
 *   write (the same data keys, seals and ciphertexts, and the same audit events), sent by COPY in one transaction
 *   instead of a few statements a person: 50,000 people one by one take minutes on the embedded engine.
 * - Votes: a participatory-budgeting round made through the funds module (createFund, createRound, submitProposal,
 *   decideProposal, setPhase) with 20 shortlisted proposals, `votes` voting codes made by generateCodes, and a
 *   ballot cast with each: the code used and the ballot row stored as castBallot does, 5,000 to a transaction
 *   (castBallot's choice check, validateBallot, is applied to every ballot), then counted by countAndPublish.
 *
 * Each part is timed (rows a second), to be reported; nothing here is a target.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { memberships, organisations, users } from '../../src/platform/auth/schema.ts';
import { createSession, sessionCookieName } from '../../src/platform/auth/sessions.ts';
import type { Keyring } from '../../src/platform/crypto/envelope.ts';
import { analyze, copyRows, type Cell } from '../../src/platform/db/bulk.ts';
import { queryRows, type Database, type Db } from '../../src/platform/db/database.ts';
import { generateSampleServices, prng } from '../../src/capabilities/community-assets/sample.ts';
import { importLocalIndicatorBytes } from '../../src/capabilities/local-data/service.ts';
import { validateBallot } from '../../src/capabilities/funds/count.ts';
import { createFund, createRound, decideProposal, getFund, getRound, setPhase, submitProposal } from '../../src/capabilities/funds/rounds.ts';
import { ballotProposals, countAndPublish, countRoundOf, generateCodes, hashCode, maxBatch } from '../../src/capabilities/funds/voting.ts';
import { partnershipOrganisations, partnerships } from '../../src/capabilities/partnerships/schema.ts';
import { ageBandOn, seal } from '../../src/capabilities/supporting-people/people.ts';
import { closureReasons, connectionOutcomes, introductionRoutes, supportTeamMembers, supportTeams } from '../../src/capabilities/supporting-people/schema.ts';
import { scoreSwemwbs } from '../../src/capabilities/supporting-people/swemwbs.ts';
import { time } from './measure.ts';

export type DatasetSizes = { services: number; people: number; caseload: number; votes: number };
export type Timing = { part: string; rows: number; ms: number };

export type Dataset = {
  organisationId: string;
  organisationSlug: string;
  partnershipId: string;
  /** A member (viewer) of the partnership's lead organisation, signed in. */
  viewerCookie: string;
  /** The coordinator with the big caseload, signed in. */
  coordinatorCookie: string;
  coordinatorPeople: number;
  fundId: string;
  roundId: string;
  counts: { services: number; people: number; introductions: number; connections: number; wellbeing: number; codes: number; ballots: number; proposals: number; indicatorValuesBefore: number; indicatorValues: number; iodValues: number };
  timings: Timing[];
};

/** The districts whose postcodes are bundled, so every supported person has a real postcode of their area. */
export const supportDistricts = [
  { code: 'E08000010', name: 'Wigan' },
  { code: 'E08000033', name: 'Calderdale' },
  { code: 'E08000024', name: 'Sunderland' },
];

const firstNames = ['Alice', 'Bilal', 'Carys', 'Deepa', 'Edward', 'Fatima', 'George', 'Hannah', 'Imran', 'Joan', 'Kwame', 'Linda', 'Mohammed', 'Nora', 'Owen', 'Priya', 'Rita', 'Stanley', 'Tariq', 'Ursula', 'Vera', 'Wasim', 'Yvonne', 'Zainab'];
const lastNames = ['Ashworth', 'Begum', 'Croft', 'Dixon', 'Evans', 'Farrell', 'Gill', 'Hussain', 'Iqbal', 'Jones', 'Kaur', 'Lomax', 'Moss', 'Nuttall', 'Okafor', 'Patel', 'Rigby', 'Shaw', 'Turner', 'Walsh'];
const reasons = ['Lonely since moving here; wants to get out more', 'Recently bereaved and finding the days long', 'Caring for their husband and needs a break', 'Wants to get back into work', 'Struggling with money and bills', 'Low mood after a hospital stay'];
const introducers = ['Pemberton Surgery', 'Housing officer', 'Adult social care', 'Age UK', 'Local councillor', 'Citizens Advice'];
const notes = ['Went along with a neighbour', 'Enjoyed it and plans to go back', 'Found it too far to get to', null, null];

const day = (base: number, offsetDays: number) => new Date(base + offsetDays * 86_400_000).toISOString().slice(0, 10);

async function timed<T>(timings: Timing[], part: string, rows: (result: T) => number, f: () => Promise<T>): Promise<T> {
  let result!: T;
  const ms = await time(async () => (result = await f()));
  timings.push({ part, rows: rows(result), ms });
  return result;
}

/** A sample user who cannot sign in with a password (none is set): sessions are made for them directly. */
async function sampleUsers(db: Db, prefix: string, names: string[]): Promise<string[]> {
  if (!names.length) return [];
  const rows = await db
    .insert(users)
    .values(names.map((name, i) => ({ email: `${prefix}-${i}@example.org`, name: `${name} (sample data)` })))
    .returning({ id: users.id });
  return rows.map((r) => r.id);
}

async function cookieFor(db: Db, userId: string): Promise<string> {
  const session = await db.transaction((tx) => createSession(tx, userId));
  return `${sessionCookieName}=${session.token}`;
}

export async function generateDataset(database: Database, keyring: Keyring, sizes: DatasetSizes, log: (message: string) => void): Promise<Dataset> {
  const db = database.db;
  const timings: Timing[] = [];
  const tag = `${process.pid}-${Date.now()}`;
  const random = prng(12);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  // ---- Organisations, the partnership and the people who look at it --------------------------------------------
  const [council] = await db.insert(organisations).values({ slug: `scale-council-${tag}`, name: 'Sample Borough Council (sample data)', kind: 'council' }).returning({ id: organisations.id, slug: organisations.slug });
  const [vcse] = await db.insert(organisations).values({ slug: `scale-vcse-${tag}`, name: 'Sample Community Action (sample data)', kind: 'vcse' }).returning({ id: organisations.id });
  const [partnership] = await db.insert(partnerships).values({ name: 'Sample Neighbourhood Partnership (sample data)', leadOrganisationId: council!.id }).returning({ id: partnerships.id });
  await db.insert(partnershipOrganisations).values([
    { partnershipId: partnership!.id, organisationId: council!.id },
    { partnershipId: partnership!.id, organisationId: vcse!.id },
  ]);
  const [viewer] = await sampleUsers(db, `scale-viewer-${tag}`, ['Partnership viewer']);
  await db.insert(memberships).values({ userId: viewer!, organisationId: council!.id, role: 'viewer' });

  // ---- Community assets --------------------------------------------------------------------------------------
  log(`${sizes.services.toLocaleString('en-GB')} sample directory records over England`);
  await timed(timings, 'community assets (generateSampleServices: records with organisations, locations, schedules, contacts, categories)', () => sizes.services, () =>
    generateSampleServices(db, { ownerOrganisationId: council!.id, count: sizes.services, seed: 12 }, cliActor),
  );

  // ---- Supporting people -------------------------------------------------------------------------------------
  log(`${sizes.people.toLocaleString('en-GB')} supported people in ${supportDistricts.map((d) => d.name).join(', ')}`);
  const districtCodes = sql.join(supportDistricts.map((d) => sql`${d.code}`), sql`, `);
  // Each 2021 LSOA of the districts with the ward holding most of it, and the live postcodes in it (placed by their
  // point, as the person form places one: the bundled postcode file predates the 2021 LSOAs).
  const places = await queryRows<{ lsoa: string; ward: string; lad: string; postcodes: string[] }>(
    db,
    sql`select x.lsoa, x.ward, x.lad, array_agg(p.display order by p.postcode) as postcodes from (
          select distinct on (l.from_code) l.from_code as lsoa, l.to_code as ward, w.to_code as lad
          from area_lookups l join area_lookups w on w.from_vintage = 'ward25' and w.from_code = l.to_code and w.to_vintage = 'lad25'
          where l.from_vintage = 'lsoa21' and l.to_vintage = 'ward25' and w.to_code in (${districtCodes})
          order by l.from_code, l.share desc nulls last
        ) x join areas a on a.vintage = 'lsoa21' and a.code = x.lsoa
        join postcodes p on p.lad in (${districtCodes}) and p.terminated is null and coalesce(p.user_type, 0) = 0 and ST_Covers(a.boundary, p.location)
        group by x.lsoa, x.ward, x.lad order by x.lsoa`,
  );
  if (!places.length) throw new Error(`No postcodes in ${supportDistricts.map((d) => d.name).join(', ')}: the bundled postcodes step is needed`);
  const services = await queryRows<{ id: string; name: string }>(
    db,
    sql`select s.id, s.name from directory_services s where s.owner_organisation_id = ${council!.id} and exists (
          select 1 from directory_service_locations sl join directory_locations l on l.id = sl.location_id where sl.service_id = s.id and l.lad25 in (${districtCodes}))
        order by s.id`,
  );
  if (!services.length) throw new Error('No sample directory records in the supporting-people districts');

  // A team per district (two in the council, one in the voluntary organisation), eight coordinators and a lead each.
  const teams: { id: string; organisationId: string; lad: string; coordinators: string[] }[] = [];
  for (const [i, d] of supportDistricts.entries()) {
    const organisationId = i < 2 ? council!.id : vcse!.id;
    const [team] = await db.insert(supportTeams).values({ organisationId, name: `${d.name} Local Area Coordination (sample data)` }).returning({ id: supportTeams.id });
    const people = await sampleUsers(db, `scale-${d.name.toLowerCase()}-${tag}`, [`${d.name} lead`, ...Array.from({ length: 8 }, (_, c) => `${d.name} coordinator ${c + 1}`)]);
    await db.insert(memberships).values(people.map((userId) => ({ userId, organisationId, role: 'coordinator' as const })));
    await db.insert(supportTeamMembers).values(people.map((userId, c) => ({ teamId: team!.id, userId, role: c === 0 ? ('lead' as const) : ('coordinator' as const) })));
    teams.push({ id: team!.id, organisationId, lad: d.code, coordinators: people.slice(1) });
  }
  const busy = teams[0]!.coordinators[0]!;
  const placesOf = new Map(teams.map((t) => [t.id, places.filter((p) => p.lad === t.lad)]));

  const counts = { people: 0, introductions: 0, connections: 0, wellbeing: 0 };
  await timed(timings, 'supported people (encrypted as insertPerson does, with introductions, connections, wellbeing measures and audit events; COPY)', () => counts.people + counts.introductions + counts.connections + counts.wellbeing, async () => {
    const people: Cell[][] = [];
    const introductions: Cell[][] = [];
    const connections: Cell[][] = [];
    const wellbeing: Cell[][] = [];
    const audit: Cell[][] = [];
    const start = Date.UTC(2024, 0, 1);
    const today = Date.UTC(2026, 10, 1);
    const span = (today - start) / 86_400_000;
    for (let i = 0; i < sizes.people; i++) {
      // The busy coordinator's people first; the rest spread over every team's coordinators.
      const team = i < sizes.caseload ? teams[0]! : teams[i % teams.length]!;
      const coordinator = i < sizes.caseload ? busy : team.coordinators[1 + (i % (team.coordinators.length - 1))]!;
      const own = placesOf.get(team.id)!;
      const placed = random() < 0.92 ? pick(own.length ? own : places) : null;
      const id = randomUUID();
      const { dataKey, wrapped } = keyring.newDataKey(seal('support_people', id, 'key'));
      const at = (column: string) => seal('support_people', id, column);
      const name = `${pick(firstNames)} ${pick(lastNames)} (sample data)`;
      const born = `${1935 + Math.floor(random() * 70)}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
      const introducedOn = day(start, Math.floor(random() * span));
      const closed = random() < 0.35 && introducedOn < day(today, -60);
      const route = pick(introductionRoutes);
      people.push([
        id, team.id, coordinator, wrapped,
        dataKey.encrypt(name, at('name')),
        dataKey.encryptJson({ email: null, phone: `07700 ${String(900000 + (i % 1000)).padStart(6, '0')}`, address: `${1 + (i % 200)} Sample Street` }, at('contact')),
        dataKey.encrypt(placed ? pick(placed.postcodes) : null, at('postcode')),
        dataKey.encrypt(born, at('date_of_birth')),
        dataKey.encryptJson(null, at('demographics')),
        ageBandOn(born, introducedOn), placed?.lsoa ?? null, placed?.ward ?? null, placed?.lad ?? null,
        'given', introducedOn, closed ? 'closed' : 'open', closed ? day(Date.parse(introducedOn), 30 + Math.floor(random() * 200)) : null, closed ? pick(closureReasons) : null, 't',
      ]);
      audit.push([coordinator, 'sample data', 'support.person.create', 'support-person', id, team.organisationId, JSON.stringify({ teamId: team.id, route })]);
      const introduce = (on: string, how: string) => {
        const introductionId = randomUUID();
        introductions.push([introductionId, id, on, how, dataKey.encrypt(pick(introducers), seal('support_introductions', introductionId, 'introducer')), dataKey.encrypt(pick(reasons), seal('support_introductions', introductionId, 'reason')), coordinator]);
      };
      introduce(introducedOn, route);
      if (random() < 0.08) introduce(day(Date.parse(introducedOn), 90 + Math.floor(random() * 300)), pick(introductionRoutes));
      // About half are connected to something in the directory, a few to several things.
      const linked = random() < 0.5 ? 1 + Math.floor(random() * 3) : 0;
      for (let c = 0; c < linked; c++) {
        const service = pick(services);
        const connectionId = randomUUID();
        const connectedOn = day(Date.parse(introducedOn), 7 + Math.floor(random() * 60));
        const outcome = pick(connectionOutcomes);
        connections.push([connectionId, id, service.id, service.name, connectedOn, outcome, outcome === 'suggested' ? null : connectedOn, dataKey.encrypt(pick(notes), seal('support_connections', connectionId, 'note'))]);
      }
      // A third have a start measure; most of those a later one too.
      if (random() < 0.35) {
        const measures = random() < 0.75 ? 2 + Math.floor(random() * 2) : 1;
        const swemwbs = random() < 0.4;
        for (let m = 0; m < measures; m++) {
          const score = () => Math.min(10, Math.max(0, Math.round(4 + m * 1.2 + (random() - 0.5) * 5)));
          const items = swemwbs ? Array.from({ length: 7 }, () => Math.min(5, Math.max(1, Math.round(2 + m * 0.5 + random() * 2)))) : null;
          const scored = items ? scoreSwemwbs(items) : null;
          const occasion = m === 0 ? 'start' : m === measures - 1 && closed ? 'end' : 'follow-up';
          wellbeing.push([randomUUID(), id, day(Date.parse(introducedOn), m * 90), occasion, score(), score(), score(), Math.min(10, Math.max(0, Math.round(7 - m * 1.2 + (random() - 0.5) * 5))), items?.join(',') ?? null, scored?.raw ?? null, scored?.metric ?? null, coordinator]);
          audit.push([coordinator, 'sample data', 'support.wellbeing.create', 'support-person', id, team.organisationId, JSON.stringify({ wellbeingId: wellbeing[wellbeing.length - 1]![0] })]);
        }
      }
    }
    await db.transaction(async (tx) => {
      await copyRows(tx, 'support_people', ['id', 'team_id', 'coordinator_user_id', 'wrapped_key', 'name_enc', 'contact_enc', 'postcode_enc', 'date_of_birth_enc', 'demographics_enc', 'age_band', 'lsoa21', 'ward25', 'lad25', 'consent_status', 'consent_on', 'status', 'closed_on', 'closure_reason', 'sample'], people);
      await copyRows(tx, 'support_introductions', ['id', 'person_id', 'introduced_on', 'route', 'introducer_enc', 'reason_enc', 'recorded_by'], introductions);
      await copyRows(tx, 'support_connections', ['id', 'person_id', 'service_id', 'service_name', 'connected_on', 'outcome', 'outcome_on', 'note_enc'], connections);
      await copyRows(tx, 'support_wellbeing', ['id', 'person_id', 'measured_on', 'occasion', 'life_satisfaction', 'worthwhile', 'happiness', 'anxiety', 'swemwbs_items', 'swemwbs_raw', 'swemwbs_metric', 'recorded_by'], wellbeing);
      await copyRows(tx, 'audit_events', ['actor_user_id', 'actor_label', 'action', 'object_type', 'object_id', 'organisation_id', 'details'], audit);
      await analyze(tx, 'support_people', 'support_introductions', 'support_connections', 'support_wellbeing');
    });
    Object.assign(counts, { people: people.length, introductions: introductions.length, connections: connections.length, wellbeing: wellbeing.length });
  });

  // ---- Votes ---------------------------------------------------------------------------------------------------
  log(`a participatory-budgeting round with ${sizes.votes.toLocaleString('en-GB')} votes`);
  const [ward] = await queryRows<{ code: string }>(
    db,
    sql`select from_code as code from area_lookups where from_vintage = 'ward25' and to_vintage = 'lad25' and to_code = ${supportDistricts[0]!.code} order by from_code limit 1`,
  );
  const fundId = await createFund(db, { organisationId: council!.id, name: 'Sample Ward Fund (sample data)', description: 'Invented for the scale benchmark: sample data.', budgetPence: 20_000_000, grantIdPrefix: null, wardCodes: [ward!.code], neighbourhoodIds: [], sample: true }, cliActor);
  const fund = (await getFund(db, fundId))!;
  const roundId = await createRound(
    db,
    fund,
    { name: 'Sample round (sample data)', description: null, budgetPence: 10_000_000, votingMethod: 'approval-budget', projectLimit: null, minAmountPence: null, maxAmountPence: null, proposalsCloseOn: null, votingOpensOn: null, votingClosesOn: null, emailVoting: false },
    cliActor,
  );
  await setPhase(db, { id: roundId }, 'proposals', cliActor);
  const proposalCount = 20;
  for (let i = 0; i < proposalCount; i++) {
    const submitted = await submitProposal(
      db,
      (await getRound(db, roundId))!,
      { title: `Sample project ${i + 1} (sample data)`, summary: 'An invented project: sample data.', description: '', amount: String(2_000 + Math.floor(random() * 13) * 1_000), applicantKind: 'community-group', groupName: 'Sample Friends Group (sample data)', registeredNumber: '', area: `ward25:${ward!.code}`, postcode: '', contactName: 'Sample Person', contactEmail: 'sample@example.org' },
      cliActor,
    );
    if ('problems' in submitted) throw new Error(`proposal ${i + 1}: ${submitted.problems.map((p) => p.message).join('; ')}`);
    await decideProposal(db, (await getRound(db, roundId))!, council!.id, submitted.id, 'shortlisted', 'Sample data: shortlisted for the benchmark', cliActor);
  }
  await setPhase(db, { id: roundId }, 'review', cliActor);
  await setPhase(db, { id: roundId }, 'voting', cliActor);
  const round = (await getRound(db, roundId))!;

  const codes = await timed(timings, 'voting codes (generateCodes, 5,000 a batch)', (c) => c.length, async () => {
    const all: string[] = [];
    for (let made = 0; made < sizes.votes; made += maxBatch) all.push(...(await generateCodes(db, round, Math.min(maxBatch, sizes.votes - made), council!.id, cliActor)).codes);
    return all;
  });

  const onBallot = await ballotProposals(db, roundId);
  const rules = countRoundOf(round);
  // Popularity differs between projects, so the count has a real order to find.
  const weights = onBallot.map((_, i) => 0.15 + 0.6 * ((i * 7) % onBallot.length) / onBallot.length);
  await timed(timings, 'ballots cast with the codes (codes used and ballots stored as castBallot does, 5,000 a transaction)', () => codes.length, async () => {
    for (let from = 0; from < codes.length; from += 5_000) {
      const chunk = codes.slice(from, from + 5_000);
      const rows: Cell[][] = chunk.map(() => {
        let choices = onBallot.filter((_, i) => random() < weights[i]!).map((p) => p.number);
        if (!choices.length) choices = [pick(onBallot).number];
        // Over the budget: drop the dearest until it fits, as a voter would be asked to.
        while (validateBallot(rules, onBallot, choices)) choices = choices.slice(0, -1);
        return [roundId, choices, random() < 0.9 ? 'online' : 'paper'];
      });
      await db.transaction(async (tx) => {
        const [locked] = await queryRows<{ counted: boolean; phase: string }>(tx, sql`select counted_at is not null as counted, phase from fund_rounds where id = ${roundId} for share`);
        if (!locked || locked.counted || locked.phase !== 'voting') throw new Error('Voting has closed');
        // castBallot's update, for 5,000 codes at once (their hashes sent by COPY rather than as 5,000 parameters).
        await tx.execute(sql`create temp table cast_codes (code_hash text primary key) on commit drop`);
        await copyRows(tx, 'cast_codes', ['code_hash'], chunk.map((c) => [hashCode(c)]));
        const used = await queryRows(tx, sql`update voting_codes v set used = true from cast_codes c where v.code_hash = c.code_hash and v.round_id = ${roundId} and not v.used and not v.withdrawn returning 1`);
        if (used.length !== chunk.length) throw new Error(`only ${used.length} of ${chunk.length} codes could be used`);
        await copyRows(tx, 'ballots', ['round_id', 'choices', 'channel'], rows);
      });
    }
    await db.transaction((tx) => analyze(tx, 'ballots', 'voting_codes'));
  });
  const counted = await timed(timings, 'the count (countAndPublish)', () => codes.length, () => countAndPublish(db, round, council!.id, cliActor));
  if (!counted.ok) throw new Error(counted.message);

  // ---- Indicator values: topped up to a million with local indicators when the loaded data holds fewer ---------------
  const [loaded] = await queryRows<{ values: number }>(db, sql`select count(*)::int as values from indicator_values`);
  const indicatorsBefore = loaded!.values;
  if (indicatorsBefore < 1_000_000) {
    const lsoas = (await queryRows<{ code: string }>(db, sql`select code from areas where vintage = 'lsoa21' order by code`)).map((r) => r.code);
    const needed = Math.ceil((1_000_000 - indicatorsBefore) / lsoas.length);
    log(`${needed} local indicators of every 2021 LSOA (the loaded data holds ${indicatorsBefore.toLocaleString('en-GB')} indicator values)`);
    await timed(timings, `local indicator values (importLocalIndicatorBytes, ${needed} files of every 2021 LSOA)`, (n) => n, async () => {
      let rows = 0;
      for (let k = 0; k < needed; k++) {
        const csv = `code,value\n${lsoas.map((code) => `${code},${(random() * 100).toFixed(1)}`).join('\n')}\n`;
        const made = await importLocalIndicatorBytes(
          db,
          Buffer.from(csv),
          `sample-indicator-${k + 1}.csv`,
          { label: `Sample local measure ${k + 1} (sample data)`, unit: '%', period: '2026', direction: 'higher-is-better', source: 'Invented for the scale benchmark: sample data', licence: 'Open Government Licence v3.0', sharing: 'organisation', aggregation: 'population-weighted-mean', vintage: 'lsoa21' },
          { organisationId: council!.id, userId: null },
          cliActor,
        );
        rows += made.rows;
      }
      return rows;
    });
  }

  // ---- What was there already ------------------------------------------------------------------------------------
  const [totals] = await queryRows<{ services: number; values: number; iod: number; ballots: number }>(
    db,
    sql`select (select count(*) from directory_services where owner_organisation_id = ${council!.id})::int as services,
               (select count(*) from indicator_values)::int as values,
               (select count(*) from indicator_values where indicator_id like 'iod%')::int as iod,
               (select count(*) from ballots where round_id = ${roundId})::int as ballots`,
  );
  const coordinatorPeople = (await db.select({ n: sql<number>`count(*)::int` }).from(sql`support_people`).where(sql`coordinator_user_id = ${busy}`))[0]!.n;
  return {
    organisationId: council!.id,
    organisationSlug: council!.slug,
    partnershipId: partnership!.id,
    viewerCookie: await cookieFor(db, viewer!),
    coordinatorCookie: await cookieFor(db, busy),
    coordinatorPeople: Number(coordinatorPeople),
    fundId,
    roundId,
    counts: { services: totals!.services, ...counts, codes: codes.length, ballots: totals!.ballots, proposals: onBallot.length, indicatorValuesBefore: indicatorsBefore, indicatorValues: totals!.values, iodValues: totals!.iod },
    timings,
  };
}
