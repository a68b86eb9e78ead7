import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { engines } from '../../../tests/support/engines.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { locatePoints } from '../geography/locator.ts';
import { importLookup } from '../geography/lookups.ts';
import { bundledDataDir } from '../indicators/bundled-data.ts';
import { importPopulationAges } from '../indicators/population-ages.ts';
import type { Campaign, Question } from './campaigns.ts';
import { analyse, type Gathered } from './representation.ts';
import { recordResponse } from './responses.ts';
import { loadWiganPlaces, sampleCampaign, wigan } from './testing.ts';

/** A small invented area, worked by hand: two rows, two age bands. */
function handGathered(): Gathered {
  const person = (row: string, ageBand: string | null, choice: string) => ({ row, ageBand, gender: null, ethnicityGroup: null, disability: null, tenure: null, answers: new Map([['q', { choices: [choice], scale: null }]]) });
  return {
    area: { kind: 'ward25', code: 'E05999999', name: 'Sample ward (sample data)' },
    rowKind: 'lsoa',
    rows: [
      { code: 'E01999991', name: 'North (sample data)' },
      { code: 'E01999992', name: 'South (sample data)' },
    ],
    population: new Map([
      ['E01999991', new Map([['under-16', 500], ['16-24', 300], ['65-74', 300]])],
      ['E01999992', new Map([['under-16', 100], ['16-24', 300], ['65-74', 100]])],
    ]),
    // North: 8 aged 16–24 choosing Yes; South: 2 aged 65–74 choosing No.
    respondents: [...Array.from({ length: 8 }, () => person('E01999991', '16-24', 'Yes')), person('E01999992', '65-74', 'No'), person('E01999992', '65-74', 'No')],
    questions: [{ id: 'q', position: 1, kind: 'choice', prompt: 'Yes or no?', options: ['Yes', 'No'], scaleMin: null, scaleMax: null }],
  };
}

describe('analyse (pure)', () => {
  it('compares shares by area and flags, worked by hand', () => {
    const r = analyse(handGathered(), { threshold: 2, weight: 'none' });
    // Residents 16+: North 600, South 400 → 60% / 40%. Responses: North 8 of 10 (80%), South 2 (20%).
    expect(r.byArea.rows.map((row) => row.population)).toEqual([600, 400]);
    expect(r.byArea.rows.map((row) => row.responses.value)).toEqual([8, 2]);
    // Ratios 0.8 / 0.6 = 4/3 and 0.2 / 0.4 = 0.5 (not below 0.5, so not flagged); per 1,000: 8/600, 2/400.
    expect(r.byArea.rows[0]!.ratio).toBeCloseTo(4 / 3, 12);
    expect(r.byArea.rows[1]!.ratio).toBeCloseTo(0.5, 12);
    expect(r.byArea.rows.map((row) => row.perThousand)).toEqual([(8 / 600) * 1000, 5]);
    expect(r.byArea.rows.map((row) => row.flag)).toEqual([null, null]);
    // Age: 16–24 is 600 of 1,000 residents (60%), 8 of 10 respondents (80%): +20 points, ratio 4/3.
    const young = r.byAge.rows.find((row) => row.band === '16-24')!;
    expect(young.respondents).toEqual({ value: 8, suppressed: false });
    expect(young.residentShare).toBeCloseTo(0.6, 12);
    expect(young.respondentShare).toBeCloseTo(0.8, 12);
    expect(young.differencePoints).toBeCloseTo(20, 9);
    expect(young.ratio).toBeCloseTo(4 / 3, 12);
    // 65–74: 40% of residents, 20% of respondents, ratio 0.5; 35–44: residents 0, respondents 0.
    const old = r.byAge.rows.find((row) => row.band === '65-74')!;
    expect(old.differencePoints).toBeCloseTo(-20, 9);
    expect(r.headline).toBe('People aged 65 to 74 are 40% of residents aged 16 or over in Sample ward (sample data) but 20% of those who answered and gave their age.');
  });

  it('hides small counts, the next smallest, and what is worked out from them; flags few responses', () => {
    const r = analyse(handGathered(), { threshold: 5, weight: 'none' });
    // South's 2 is hidden; with the total (10) shown, North's 8 would give it away, so it is hidden too.
    expect(r.byArea.total).toEqual({ value: 10, suppressed: false });
    expect(r.byArea.rows.map((row) => row.responses)).toEqual([
      { value: null, suppressed: true, secondary: true },
      { value: null, suppressed: true },
    ]);
    expect(r.byArea.rows.map((row) => [row.ratio, row.perThousand, row.responseShare])).toEqual([
      [null, null, null],
      [null, null, null],
    ]);
    // South is flagged for its few responses; North, hidden only to protect South, is not flagged at all.
    expect(r.byArea.rows.map((row) => row.flag)).toEqual([null, 'few-responses']);
    expect(r.byAge.rows.find((row) => row.band === '16-24')!.respondentShare).toBeNull();
    expect(r.byAge.rows.find((row) => row.band === '35-44')!.flag).toBe('no-responses');
  });

  it('weights by age beside the unweighted result: 8 and 2 respondents, residents 60/40 → Yes 60%', () => {
    const r = analyse(handGathered(), { threshold: 1, weight: 'age' });
    // Weights 600/1000 × 10 / 8 = 0.75 and 400/1000 × 10 / 2 = 2; weighted Yes = 8 × 0.75 / 10 = 60%.
    expect(r.weighting!.result.weights.slice(7)).toEqual([0.75, 2, 2]);
    const q = r.questions[0]!;
    expect(q.options.map((o) => [o.option, o.share, o.weightedShare])).toEqual([
      ['Yes', 0.8, 0.6],
      ['No', 0.2, 0.4],
    ]);
    // With the usual threshold the 2 who said No are hidden, and so is their weighted share.
    const suppressed = analyse(handGathered(), { threshold: 5, weight: 'age' }).questions[0]!;
    expect(suppressed.options[1]).toMatchObject({ count: { suppressed: true }, share: null, weightedShare: null });
  });
});

describe.each(engines)('whose voice on %s', (engine) => {
  const harness = useSeededApp(engine);
  const db = () => harness.database.db;
  let campaign: Campaign;
  let questions: Question[];
  /** The three Wigan wards responses are placed in: 12, 6 and 3 responses. */
  let wards: { code: string; postcodes: string[] }[];
  const base = () => `/organisations/test-org/voice/${campaign.id}`;
  const signedIn = async (email: string) => {
    const client = new Client(harness.app);
    expect((await client.signIn(email)).statusCode).toBe(303);
    return client;
  };
  const people = async (vintage: string, codes: string, bands: string[]) => {
    const [row] = await queryRows<{ n: number }>(db(), sql`select coalesce(sum(people), 0)::float8 as n from population_age_bands where vintage = ${vintage} and code in (${sql.raw(codes)}) and band in (${sql.join(bands.map((b) => sql`${b}`), sql`, `)})`);
    return Number(row!.n);
  };

  beforeAll(async () => {
    await loadWiganPlaces(db());
    await importLookup(db(), path.join(bundledDataDir, 'ons_lookups/LSOA11_LSOA21_LAD22_EW.csv.gz'), cliActor);
    const started = performance.now();
    await importPopulationAges(db(), path.join(bundledDataDir, 'population/sape_mid2020_lsoa11_syoa_persons_EW.csv.gz'), cliActor);
    console.log(`population ages import with 2021 derivation (national, ${engine}): ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // Real WN postcodes, placed in 2025 wards the way a response is.
    const codes = await queryRows<{ postcode: string; lon: number; lat: number }>(
      db(),
      sql`select display as postcode, ST_X(location)::float8 as lon, ST_Y(location)::float8 as lat from postcodes where terminated is null and location is not null and postcode like 'WN%' order by postcode limit 3000`,
    );
    const placed = await locatePoints(db(), codes.map((c) => ({ lon: Number(c.lon), lat: Number(c.lat) })), ['ward25'] as const);
    const byWard = new Map<string, string[]>();
    placed.forEach((p, i) => {
      if (p.ward25) byWard.set(p.ward25, [...(byWard.get(p.ward25) ?? []), codes[i]!.postcode]);
    });
    const chosen = [...byWard].filter(([, list]) => list.length >= 12).sort(([a], [b]) => a.localeCompare(b)).slice(0, 3);
    wards = chosen.map(([code, postcodes]) => ({ code, postcodes }));

    ({ campaign, questions } = await sampleCampaign(db(), harness.seed.organisationId, { lad25: wigan }));
    const [, choice, scale] = questions as [Question, Question, Question];
    const answer = async (postcode: string, ageBand: string | null, option: string, rating: number) => {
      const result = await recordResponse(
        db(),
        campaign,
        questions,
        { answers: { [choice.id]: { choices: [option] }, [scale.id]: { scale: rating } }, postcode, demographicsConsent: ageBand !== null, demographics: ageBand ? { ageBand } : {} },
        { channel: 'volunteer' },
        cliActor,
      );
      expect(result.status).toBe('recorded');
    };
    const [a, c, b] = wards as [(typeof wards)[0], (typeof wards)[0], (typeof wards)[0]];
    // Ward A: 6 aged 25–34 (5 here under a year, 1 over 5 years) and 6 aged 65–74 (all over 5 years).
    for (let i = 0; i < 6; i++) await answer(a.postcodes[i]!, '25-34', i < 5 ? 'Less than a year' : 'More than 5 years', 2);
    for (let i = 6; i < 12; i++) await answer(a.postcodes[i]!, '65-74', 'More than 5 years', 4);
    // Ward C: 6 with no age given; ward B: 3 with no age given.
    for (let i = 0; i < 6; i++) await answer(c.postcodes[i]!, null, '1 to 5 years', 3);
    for (let i = 0; i < 3; i++) await answer(b.postcodes[i]!, null, '1 to 5 years', 3);
  }, 300_000);

  it('places the responses in the wards chosen', async () => {
    expect(wards).toHaveLength(3);
    const counts = await queryRows<{ ward25: string; n: number }>(db(), sql`select ward25, count(*)::int as n from voice_responses where campaign_id = ${campaign.id} group by 1 order by 2 desc`);
    expect(counts).toEqual([
      { ward25: wards[0]!.code, n: 12 },
      { ward25: wards[1]!.code, n: 6 },
      { ward25: wards[2]!.code, n: 3 },
    ]);
  });

  it('shows the district by ward with flags, suppressing small counts (and the next smallest)', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const page = await viewer.get(`${base()}/representation`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Areas with few or no responses are flagged');
    const rowOf = (code: string) => new RegExp(`<tr class="govuk-table__row" id="row-${code}">([\\s\\S]*?)</tr>`).exec(page.body)?.[1] ?? '';
    const [a, c, b] = wards as [(typeof wards)[0], (typeof wards)[0], (typeof wards)[0]];
    // Ward B's 3 is hidden and flagged; ward C's 6 is hidden too (else total − shown cells gives B away), unflagged.
    expect(rowOf(b.code)).toContain('fewer than 5');
    expect(rowOf(b.code)).toContain('Few responses');
    expect(rowOf(c.code)).toContain('hidden');
    expect(rowOf(c.code)).not.toContain('fewer than 5');
    expect(rowOf(c.code)).not.toMatch(/Few responses|No responses/);
    // Ward A: 12 of 21 responses; its ratio is its response share over its share of Wigan's residents aged 16+.
    const wardPeople = async (code: string) =>
      people('lsoa21', `select from_code from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'ward25' and to_code = '${code}'`, ['16-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75-plus']);
    const aPeople = await wardPeople(a.code);
    const wiganPeople = await people(
      'lsoa21',
      `select l.from_code from area_lookups l join area_lookups w on w.from_vintage = 'ward25' and w.from_code = l.to_code and w.to_vintage = 'lad25' where l.from_vintage = 'lsoa21' and l.to_vintage = 'ward25' and w.to_code = '${wigan}'`,
      ['16-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75-plus'],
    );
    // Wigan's 2021 population was about 330,000, about 260,000 of them aged 16 or over.
    expect(wiganPeople).toBeGreaterThan(240_000);
    expect(wiganPeople).toBeLessThan(290_000);
    const ratio = 12 / 21 / (aPeople / wiganPeople);
    expect(rowOf(a.code)).toMatch(/>12</);
    expect(rowOf(a.code)).toContain(`${((12 / 21) * 100).toFixed(1)}%`);
    expect(rowOf(a.code)).toContain(`>${ratio.toFixed(2)}<`);
    expect(rowOf(a.code)).toContain(`>${((12 / aPeople) * 1000).toFixed(1)}<`);
    expect(rowOf(a.code)).toContain(Math.round(aPeople).toLocaleString('en-GB'));
    // Every other ward: no responses, flagged.
    const wardCount = (page.body.match(/id="row-E05/g) ?? []).length;
    expect(wardCount).toBeGreaterThan(20);
    const areaTable = /Responses and residents by ward[\s\S]*?<\/table>/.exec(page.body)?.[0] ?? '';
    expect((areaTable.match(/>No responses</g) ?? []).length).toBe(wardCount - 3);
    expect(page.body).toMatch(
      new RegExp(`People aged [a-z0-9 ]+ are \\d+% of residents aged 16 or over in Wigan but none of those who answered and gave their age\\. Of ${wardCount} wards, ${wardCount - 3} have no responses and 1 has fewer than 5\\.`),
    );
    expect(page.body).toMatch(/Total<\/th>\s*<td class="govuk-table__cell govuk-table__cell--numeric">21</);
  });

  it('compares ages in a ward and re-weights a choice question by age, checked by hand', async () => {
    const a = wards[0]!;
    const viewer = await signedIn(emailOf('viewer'));
    const page = await viewer.get(`${base()}/representation?area=ward25:${a.code}&weight=age`);
    expect(page.statusCode).toBe(200);
    const lsoas = `select from_code from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'ward25' and to_code = '${a.code}'`;
    const adults = await people('lsoa21', lsoas, ['16-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75-plus']);
    const p2534 = await people('lsoa21', lsoas, ['25-34']);
    const p6574 = await people('lsoa21', lsoas, ['65-74']);
    // Age table: 25–34 are 6 of 12 who gave an age (50%).
    expect(page.body).toContain(`${((p2534 / adults) * 100).toFixed(1)}%`);
    expect(page.body).toContain('50.0%');
    // Weighting by age: only 25–34 and 65–74 have respondents, so they share the population between them:
    // s = P(25–34) / (P(25–34) + P(65–74)). "Less than a year": 5 of the 6 aged 25–34 → weighted s × 5/6;
    // unweighted 5/12. "More than 5 years": s × 1/6 + (1 − s); unweighted 7/12.
    const s = p2534 / (p2534 + p6574);
    const table = /Question 2: How long have you lived here\?[\s\S]*?<\/table>/.exec(page.body)?.[0] ?? '';
    const cells = (option: string) => [...(new RegExp(`${option}</th>(.*?)</tr>`).exec(table)?.[1] ?? '').matchAll(/>([^<]+)</g)].map((m) => m[1]);
    expect(cells('Less than a year')).toEqual(['5', `${((5 / 12) * 100).toFixed(1)}%`, `${(s * (5 / 6) * 100).toFixed(1)}%`]);
    expect(cells('More than 5 years')).toEqual(['7', `${((7 / 12) * 100).toFixed(1)}%`, `${((s / 6 + (1 - s)) * 100).toFixed(1)}%`]);
    // Nobody chose "1 to 5 years" in ward A: hidden, and so is its weighted share.
    expect(cells('1 to 5 years')).toEqual(['fewer than 5', 'fewer than 5', 'fewer than 5']);
    // Age bands with residents but no respondents cannot be weighted up, and the page says so.
    expect(page.body).toMatch(/nobody answered from 16 to 24, 35 to 44, 45 to 54, 55 to 64, 75 or over, so they cannot be weighted up/);
    expect(page.body).toMatch(/1 iteration\b/);
    // The scale question: unweighted mean (6 × 2 + 6 × 4) / 12 = 3; weighted s × 2 + (1 − s) × 4.
    const scale = /Question 3:[\s\S]*?<\/table>/.exec(page.body)?.[0] ?? '';
    expect(scale).toContain('>3.00<');
    expect(scale).toContain(`>${(s * 2 + (1 - s) * 4).toFixed(2)}<`);
  });

  it('exports the same figures as CSV with no count below 5', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const response = await viewer.get(`${base()}/representation.csv?weight=age-and-area`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    const rows = parse(response.body, { columns: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(25);
    for (const row of rows) {
      const responses = row.responses ?? '';
      // "hidden": at least 5, kept back so a smaller count cannot be worked out from the total.
      if (responses === '' || responses === 'fewer than 5' || responses === 'hidden') continue;
      expect(Number(responses.replace(/,/g, '')), JSON.stringify(row)).toBeGreaterThanOrEqual(5);
    }
    const b = rows.find((row) => row.code === wards[2]!.code)!;
    expect(b).toMatchObject({ responses: 'fewer than 5', flag: 'Few responses', ratio: 'fewer than 5' });
    expect(rows.find((row) => row.code === wards[0]!.code)!.responses).toBe('12');
  });

  it('refuses an unknown area with a message naming the field, and hides campaigns of other organisations', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const bad = await viewer.get(`${base()}/representation?areaKey=ward25:E05999999`);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('href="#areaKey"');
    expect(bad.body).toContain('is not an area Patchwork knows');
    expect((await viewer.get(`${base()}/representation?weight=everything`)).statusCode).toBe(400);
    const outsider = await signedIn(emailOf('outsider'));
    expect((await outsider.get(`${base()}/representation`)).statusCode).toBe(403);
    expect((await new Client(harness.app).get(`${base()}/representation.csv`)).statusCode).toBe(302);
    expect((await viewer.get('/organisations/test-org/voice/00000000-0000-4000-8000-000000000000/representation')).statusCode).toBe(404);
  });
});
