import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { deriveLookups } from '../geography/boundaries.ts';
import { loadWiganBoundaries } from '../community-assets/testing.ts';
import { Client, emailOf, useSeededApp, visitors, type Visitor } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { createScenario, measuresAvailable, wardNeeds } from './allocation.ts';
import { allocationLines, allocationScenarios } from './schema.ts';

/**
 * Allocation by need on real data: the IoD2025 scores and 2021-LSOA population estimates for England, and Wigan's
 * 2025 wards with the LSOA → ward lookup derived from their boundaries.
 */
const wigan = 'E08000010';

/** Reads a CSV the export wrote (no quoted newlines in it), dropping the byte-order mark. */
function readCsv(body: string): string[][] {
  return body
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n')
    .map((line) => [...line.matchAll(/("([^"]|"")*"|[^,]*)(,|$)/g)].map((m) => m[1]!.replace(/^"|"$/g, '').replace(/""/g, '"')).slice(0, -1));
}

describe.each(engines)('allocation by need on %s', (engine) => {
  const h = useSeededApp(engine);
  const db = () => h.database.db;
  let loaded = false;
  const load = async () => {
    if (loaded) return;
    await loadBundledSteps(db(), ['lookup.lsoa21-ward24-lad24', 'lookup.lsoa11-lsoa21', 'population.mid2020', 'population.lsoa21', 'edition.iod2025']);
    await loadWiganBoundaries(db());
    await db().transaction((tx) => deriveLookups(tx));
    loaded = true;
  };
  // The national IoD2025 and population tables take a minute or two to load on the embedded engine.
  beforeAll(load, 600_000);
  const signedIn = async (who: Exclude<Visitor, 'anonymous'>) => {
    await load();
    const client = new Client(h.app);
    expect((await client.signIn(emailOf(who))).statusCode).toBe(303);
    return client;
  };
  const scenarioCount = async () => (await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from allocation_scenarios`))[0]!.n;
  const form = { name: 'Wigan ward fund by need (sample data)', budget: '250,000', district: wigan, measure: 'iod2025.imd', timesPopulation: 'yes', floor: '5,000', cap: '18,000' };
  let scenarioId = '';

  it('rolls IoD2025 scores up to 2025 wards as population-weighted averages', async () => {
    await load();
    expect((await measuresAvailable(db())).map((m) => m.id)).toEqual(['iod2025.imd', 'iod2025.income', 'iod2025.employment', 'iod2025.education', 'iod2025.health', 'iod2025.crime', 'iod2025.housing', 'iod2025.environment', 'population']);
    const wards = await wardNeeds(db(), wigan, 'iod2025.imd');
    expect(wards).toHaveLength(25);
    expect(wards.every((w) => w.need !== null && w.need > 0 && w.population !== null && w.population > 1000)).toBe(true);
    // One ward worked independently: its LSOAs' scores and populations, straight from the tables.
    const ward = wards[0]!;
    const members = await queryRows<{ score: number; population: number }>(
      db(),
      sql`select s.value as score, p.value as population from area_lookups l
          join indicator_values s on s.indicator_id = 'iod2025.imd' and s.code = l.from_code
          join indicator_values p on p.indicator_id = 'population.mid2020-estimate.lsoa21' and p.code = l.from_code
          where l.from_vintage = 'lsoa21' and l.to_vintage = 'ward25' and l.to_code = ${ward.code}`,
    );
    expect(members.length).toBeGreaterThan(3);
    const population = members.reduce((s, m) => s + Number(m.population), 0);
    expect(ward.population).toBeCloseTo(population, 6);
    expect(ward.need).toBeCloseTo(members.reduce((s, m) => s + Number(m.score) * Number(m.population), 0) / population, 9);
    // Every Wigan 2021 LSOA counts once: the wards' populations add up to the district's.
    const [district] = await queryRows<{ people: number }>(
      db(),
      sql`select sum(p.value) as people from indicator_values p where p.indicator_id = 'population.mid2020-estimate.lsoa21'
          and p.code in (select distinct from_code from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'ward25' and to_code in (select from_code from area_lookups where from_vintage = 'ward25' and to_vintage = 'lad25' and to_code = ${wigan}))`,
    );
    expect(wards.reduce((s, w) => s + w.population!, 0)).toBeCloseTo(Number(district!.people), 4);
  });

  it('saves a scenario for Wigan’s wards with a floor and a cap that adds up to the budget exactly', async () => {
    const client = await signedIn('member');
    const page = await client.get('/organisations/test-org/allocations/new');
    expect(page.statusCode, page.body.slice(0, 3000)).toBe(200);
    expect(page.body).toContain('<option value="E08000010">Wigan (E08000010)</option>');
    const response = await client.post('/organisations/test-org/allocations/new', form);
    expect(response.statusCode).toBe(303);
    scenarioId = /allocations\/([0-9a-f-]{36})$/.exec(response.headers.location as string)![1]!;

    const lines = await db().select().from(allocationLines).where(eq(allocationLines.scenarioId, scenarioId));
    expect(lines).toHaveLength(25);
    expect(lines.reduce((s, l) => s + l.amountPence, 0)).toBe(25_000_000);
    expect(lines.reduce((s, l) => s + l.equalPence, 0)).toBe(25_000_000);
    for (const l of lines) {
      expect(l.amountPence % 100).toBe(0);
      expect(l.amountPence).toBeGreaterThanOrEqual(500_000);
      expect(l.amountPence).toBeLessThanOrEqual(1_800_000);
      expect(l.weight).toBeCloseTo(l.need! * l.population!, 6);
      // £250,000 over 25 wards is £10,000 each.
      expect(l.equalPence).toBe(1_000_000);
    }
    // Both limits bite on Wigan's real figures (IMD 2025 × population runs from about 70,000 in Winstanley to
    // 689,000 in Leigh West), and the wards they decide are the least and most deprived.
    const floors = lines.filter((l) => l.bound === 'floor');
    const caps = lines.filter((l) => l.bound === 'cap');
    const free = lines.filter((l) => l.bound === null);
    expect(floors.length).toBeGreaterThan(0);
    expect(caps.length).toBeGreaterThan(0);
    for (const l of floors) expect(l.amountPence).toBe(500_000);
    for (const l of caps) expect(l.amountPence).toBe(1_800_000);
    expect(Math.max(...floors.map((l) => l.weight))).toBeLessThan(Math.min(...free.map((l) => l.weight)));
    expect(Math.min(...caps.map((l) => l.weight))).toBeGreaterThan(Math.max(...free.map((l) => l.weight)));
    // The wards in between get the same pounds per unit of weight, to within the rounding pound: worked from the
    // money left once the floors and caps are paid.
    const rate = (25_000_000 - floors.length * 500_000 - caps.length * 1_800_000) / free.reduce((s, l) => s + l.weight, 0);
    for (const l of free) expect(Math.abs(l.amountPence - rate * l.weight)).toBeLessThan(100);

    const [audit] = await queryRows<{ details: Record<string, unknown> }>(db(), sql`select details from audit_events where action = 'allocation.created' and object_id = ${scenarioId}`);
    expect(audit!.details).toMatchObject({ budgetPence: 25_000_000, district: wigan, measure: 'iod2025.imd', floorPence: 500_000, capPence: 1_800_000, areas: 25 });

    const shown = await client.get(`/organisations/test-org/allocations/${scenarioId}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain(
      '£250,000 split across the 25 wards (2025) of Wigan in proportion to IMD 2025 average score × population, with a floor of £5,000 and a cap of £18,000; rounded to whole pounds by largest remainder',
    );
    expect(shown.body).toContain('<strong id="total-amount">£250,000</strong>');
    expect(shown.body).toContain('<strong id="total-equal">£250,000</strong>');
    expect(shown.body).toContain('scope="row"');
    const list = await client.get('/organisations/test-org/allocations');
    expect(list.body).toContain('Wigan ward fund by need (sample data)');
  });

  it('exports the scenario as CSV with totals equal to the budget and the method', async () => {
    const client = await signedIn('viewer');
    const response = await client.get(`/organisations/test-org/allocations/${scenarioId}.csv`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    const rows = readCsv(response.body);
    expect(rows[0]).toEqual(['Ward code (2025)', 'Ward', 'Need: IMD 2025 average score', 'Population', 'Weight', 'Amount by need (£)', 'Equal split (£)', 'Difference (£)', 'Floor or cap']);
    const wards = rows.slice(1, 26);
    expect(wards.every((r) => /^E05\d{6}$/.test(r[0]!))).toBe(true);
    expect(wards.reduce((s, r) => s + Number(r[5]), 0)).toBe(250_000);
    expect(wards.reduce((s, r) => s + Number(r[6]), 0)).toBe(250_000);
    expect(wards.reduce((s, r) => s + Number(r[7]), 0)).toBe(0);
    expect(rows[26]!.slice(0, 1).concat(rows[26]!.slice(5, 8))).toEqual(['Total', '250000', '250000', '0']);
    expect(rows[27]![0]).toBe('Method');
    expect(rows[27]![1]).toMatch(/^£250,000 split across the 25 wards \(2025\) of Wigan in proportion to IMD 2025 average score × population, with a floor of £5,000 and a cap of £18,000/);
  });

  it('refuses bad input with a message naming the field, and saves nothing', async () => {
    const client = await signedIn('member');
    const before = await scenarioCount();
    const cases: [Record<string, string>, string, string][] = [
      [{ name: '' }, 'name', 'Enter a name for the scenario'],
      [{ budget: '' }, 'budget', 'Enter the budget'],
      [{ budget: '250000.50' }, 'budget', 'The budget must be in whole pounds, without pence'],
      [{ budget: 'lots' }, 'budget', 'is not an amount in pounds'],
      [{ district: 'E08000999' }, 'district', 'Choose a district from the list'],
      [{ measure: '' }, 'measure', 'Choose a need measure'],
      [{ measure: 'population' }, 'measure', 'population squared'],
      [{ floor: '25,000', cap: '20,000' }, 'floor', 'The floor (£25,000) is more than the cap (£20,000)'],
      [{ floor: '11,000', cap: '' }, 'floor', 'The floor is too high: 25 areas × £11,000 = £275,000, more than the budget of £250,000'],
      [{ floor: '', cap: '9,000' }, 'cap', 'The cap is too low: 25 areas × £9,000 = £225,000, less than the budget of £250,000'],
    ];
    for (const [change, field, message] of cases) {
      const response = await client.post('/organisations/test-org/allocations/new', { ...form, ...change });
      expect(response.statusCode, `${field}: ${message}`).toBe(400);
      expect(response.body).toContain(message.replace(/'/g, '&#39;'));
      expect(response.body).toContain(`href="#${field}"`);
    }
    expect(await scenarioCount()).toBe(before);
  });

  it('lets viewers see scenarios and members make them; other organisations see nothing', async () => {
    await load();
    const missing = '/organisations/test-org/allocations/00000000-0000-4000-8000-000000000000';
    const expected: Record<Visitor, { list: number; form: number; post: number; show: number; csv: number; missing: number }> = {
      anonymous: { list: 302, form: 302, post: 403, show: 302, csv: 302, missing: 302 },
      outsider: { list: 403, form: 403, post: 403, show: 403, csv: 403, missing: 403 },
      viewer: { list: 200, form: 403, post: 403, show: 200, csv: 200, missing: 404 },
      member: { list: 200, form: 200, post: 400, show: 200, csv: 200, missing: 404 },
      coordinator: { list: 200, form: 200, post: 400, show: 200, csv: 200, missing: 404 },
      admin: { list: 200, form: 200, post: 400, show: 200, csv: 200, missing: 404 },
      'site-admin': { list: 200, form: 200, post: 400, show: 200, csv: 200, missing: 404 },
    };
    for (const who of visitors) {
      const client = new Client(h.app);
      if (who !== 'anonymous') expect((await client.signIn(emailOf(who))).statusCode).toBe(303);
      else await client.get('/');
      const got = {
        list: (await client.get('/organisations/test-org/allocations')).statusCode,
        form: (await client.get('/organisations/test-org/allocations/new')).statusCode,
        show: (await client.get(`/organisations/test-org/allocations/${scenarioId}`)).statusCode,
        csv: (await client.get(`/organisations/test-org/allocations/${scenarioId}.csv`)).statusCode,
        missing: (await client.get(missing)).statusCode,
      };
      // Posted last: its page carries a fresh CSRF token from the pages above.
      const post = (await client.post('/organisations/test-org/allocations/new', {})).statusCode;
      expect({ ...got, post }, who).toEqual(expected[who]);
    }
    // Another organisation's scenario is not there for test-org's people, and test-org's is not there for it.
    const [other] = await db().insert(organisations).values({ slug: 'elsewhere', name: 'Elsewhere (sample data)', kind: 'vcse' }).returning({ id: organisations.id });
    const otherId = await createScenario(
      db(),
      { organisationId: other!.id, name: 'Elsewhere’s split (sample data)', budgetPence: 2_500_000, districtCode: wigan, measureId: 'iod2025.income', timesPopulation: false, floorPence: null, capPence: null, sample: true, createdBy: null },
      cliActor,
    );
    const admin = await signedIn('admin');
    expect((await admin.get(`/organisations/test-org/allocations/${otherId}`)).statusCode).toBe(404);
    expect((await admin.get(`/organisations/test-org/allocations/${otherId}.csv`)).statusCode).toBe(404);
    expect((await admin.get('/organisations/test-org/allocations')).body).not.toContain('Elsewhere’s split');
    const [saved] = await db().select().from(allocationScenarios).where(eq(allocationScenarios.id, otherId));
    expect(saved!.sample).toBe(true);
  });
});
