import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, emailOf, useSeededApp, visitors, type Visitor } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { auditEvents } from '../../platform/audit/schema.ts';
import { supportWellbeing } from './schema.ts';
import { samplePerson, secretName, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';
import { changeSentence, changesOf, readWellbeingForm, type Measure } from './wellbeing.ts';

const valid = { 'measuredOn-day': '1', 'measuredOn-month': '9', 'measuredOn-year': '2026', occasion: 'start', lifeSatisfaction: '4', worthwhile: '5', happiness: '3', anxiety: '8' };
const swemwbs = (values: string[]) => Object.fromEntries(values.map((v, i) => [`swemwbs${i + 1}`, v]));

describe('wellbeing scoring and the change sentence', () => {
  it('says which way is better, anxiety the other way round', () => {
    expect(changeSentence('Anxiety', 'anxiety', 8, 4, true)).toBe('Anxiety fell from 8 to 4 (better)');
    expect(changeSentence('Anxiety', 'anxiety', 3, 6, true)).toBe('Anxiety rose from 3 to 6 (worse)');
    expect(changeSentence('Happiness', 'happiness', 3, 6, false)).toBe('Happiness rose from 3 to 6 (better)');
    expect(changeSentence('Worthwhile', 'worthwhile', 5, 5, false)).toBe('Worthwhile stayed at 5 (no change)');
  });

  it('compares the first and latest measure that answered each question', () => {
    const m = (measuredOn: string, anxiety: number | null, swemwbsMetric: number | null): Measure => ({ id: measuredOn, measuredOn, occasion: 'follow-up', lifeSatisfaction: null, worthwhile: null, happiness: null, anxiety, swemwbsRaw: null, swemwbsMetric });
    const changes = changesOf([m('2026-09-01', 8, 17.43), m('2026-10-01', null, null), m('2026-11-01', 4, 21.54)]);
    expect(changes.map((c) => c.text)).toEqual(['Anxiety fell from 8 to 4 (better)', 'SWEMWBS wellbeing (metric score) rose from 17.43 to 21.54 (better)']);
  });

  it('reads a full SWEMWBS and works out its scores', () => {
    const read = readWellbeingForm({ ...valid, ...swemwbs(['4', '3', '3', '3', '3', '3', '3']) }, '2026-11-24');
    expect(read.ok && read.value.swemwbs).toEqual({ items: [4, 3, 3, 3, 3, 3, 3], raw: 22, metric: 19.98 });
  });
});

describe.each(engines)('wellbeing measures on a person’s record on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: SupportPeopleFixture;
  let personId: string;
  let coordinator: Client;
  const path = (rest = '') => `/support/people/${personId}/wellbeing${rest}`;
  const count = async () => (await h.database.db.select({ id: supportWellbeing.id }).from(supportWellbeing).where(eq(supportWellbeing.personId, personId))).length;

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
    personId = await samplePerson(h.database.db, h.app.keyring, f.northTeamId, f.userIds.coordinator);
    coordinator = await supportHarness(h).signedIn('coordinator');
  });

  it('shows the form with the ONS and SWEMWBS wording', async () => {
    const page = await coordinator.get(path('/new'));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Overall, how satisfied are you with your life nowadays?');
    expect(page.body).toContain('On a scale where 0 is ‘not at all anxious’ and 10 is ‘completely anxious’, overall, how anxious did you feel yesterday?');
    expect(page.body).toContain('I’ve been able to make up my own mind about things');
    expect(page.body).toContain('over the last 2 weeks');
    expect(page.body).toContain('All of the time');
  });

  it('refuses a score of 11, six SWEMWBS answers, or nothing answered, changing nothing', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ ...valid, lifeSatisfaction: '11' }, 'Life satisfaction must be a whole number from 0 to 10'],
      [{ ...valid, ...swemwbs(['4', '3', '3', '3', '3', '3', '']) }, 'Answer all 7 SWEMWBS statements, or none of them (6 of 7 answered)'],
      [{ ...valid, lifeSatisfaction: '', worthwhile: '', happiness: '', anxiety: '' }, 'Answer at least one of the four ONS questions, or all 7 SWEMWBS statements'],
      [{ ...valid, 'measuredOn-day': '' }, 'The date the measure was taken must be a real date'],
    ];
    for (const [form, message] of cases) {
      const response = await coordinator.post(path('/new'), form);
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('There is a problem');
      expect(response.body).toContain(message);
    }
    expect(await count()).toBe(0);
  });

  it('records measures, audits ids only, and shows the change', async () => {
    const first = await coordinator.post(path('/new'), { ...valid, ...swemwbs(['3', '2', '2', '3', '3', '2', '3']) });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe(path());
    const second = await coordinator.post(path('/new'), { ...valid, 'measuredOn-month': '11', occasion: 'end', anxiety: '4', lifeSatisfaction: '6' });
    expect(second.statusCode).toBe(303);
    const rows = await h.database.db.select().from(supportWellbeing).where(eq(supportWellbeing.personId, personId)).orderBy(supportWellbeing.measuredOn);
    expect(rows.map((r) => [r.measuredOn, r.occasion, r.anxiety, r.swemwbsItems, r.swemwbsRaw, r.swemwbsMetric === null ? null : Number(r.swemwbsMetric)])).toEqual([
      ['2026-09-01', 'start', 8, '3,2,2,3,3,2,3', 18, 17.43],
      ['2026-11-01', 'end', 4, null, null, null],
    ]);
    const audits = await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'support.wellbeing.create'), eq(auditEvents.objectId, personId)));
    expect(audits).toHaveLength(2);
    expect(audits.map((a) => a.details)).toEqual(rows.map((r) => ({ wellbeingId: r.id })));
    expect(audits[0]!.organisationId).toBe(f.organisationId);

    const page = await coordinator.get(path());
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Anxiety fell from 8 to 4 (better)');
    expect(page.body).toContain('Life satisfaction rose from 4 to 6 (better)');
    expect(page.body).toContain('17.43');
    expect(page.body).toContain(secretName);
    expect(page.headers['cache-control']).toContain('no-store');
  });

  it('lets only the person’s coordinator (and team lead) see or add measures', async () => {
    const before = await count();
    const outcome: Record<string, [number, number]> = {};
    for (const who of [...visitors, 'lead', 'south', 'partner'] as const) {
      const client = new Client(h.app);
      if (who !== 'anonymous') {
        const email = (visitors as readonly string[]).includes(who) ? emailOf(who as Exclude<Visitor, 'anonymous'>) : `${who}@example.org`;
        expect((await client.signIn(email)).statusCode).toBe(303);
      }
      const get = await client.get(path());
      const post = await client.post(path('/new'), { ...valid, 'measuredOn-month': '10', occasion: 'follow-up' });
      outcome[who] = [get.statusCode, post.statusCode];
    }
    expect(outcome).toEqual({
      anonymous: [302, 403],
      outsider: [404, 404],
      viewer: [404, 404],
      member: [404, 404],
      coordinator: [200, 303],
      admin: [404, 404],
      'site-admin': [404, 404],
      lead: [200, 303],
      south: [404, 404],
      partner: [404, 404],
    });
    expect(await count()).toBe(before + 2);
  });
});
