import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { sessionCookieName } from '../../platform/auth/sessions.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { setStatus, type Campaign, type Question } from './campaigns.ts';
import { answerField, commentField, recordResponse } from './responses.ts';
import { loadWiganPlaces, sampleCampaign } from './testing.ts';
import { responseInputFromForm } from './response-form.ts';
import { guardCell } from '../../platform/data/csv.ts';
import { templateColumns } from './transfer.ts';

/*
 * Sample data: "Proud of Pemberton" asks q1 free text, q2 choose one (with a comment), q3 a 1–5 scale and
 * q4 choose any. Real Wigan postcodes place responses in real 2021 LSOAs and 2025 wards.
 */
const questionsAsked = [
  { kind: 'text' as const, prompt: 'What are you proud of about where you live?' },
  { kind: 'choice' as const, prompt: 'How long have you lived here?', options: ['Less than a year', '1 to 5 years', 'More than 5 years'], withComment: true },
  { kind: 'scale' as const, prompt: 'How much do you feel you belong here?', scaleMin: 1, scaleMax: 5 },
  { kind: 'multiple-choice' as const, prompt: 'What would make it better?', options: ['Parks', 'Buses', 'Shops'] },
];

const csv = (rows: string[][]) => rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n') + '\r\n';

describe.each(engines)('responses in and out on %s', (engine) => {
  const h = useSeededApp(engine);
  let campaign: Campaign;
  let questions: Question[];
  let closed: Campaign;
  let coordinator: Client;
  let member: Client;
  const db = () => h.database.db;
  const base = () => `/organisations/test-org/voice/${campaign.id}`;
  const count = async (where = sql`true`) => (await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from voice_responses r where r.campaign_id = ${campaign.id} and ${where}`))[0]!.n;
  const signedIn = async (email: string) => {
    const client = new Client(h.app);
    expect((await client.signIn(email)).statusCode).toBe(303);
    return client;
  };
  /** The volunteer page's fetch: JSON, with the session's cookies and the CSRF token in a header. */
  const sync = (client: Client, campaignId: string, body: unknown, token = client.csrfToken) =>
    h.app.inject({
      method: 'POST',
      url: `/organisations/test-org/voice/${campaignId}/sync`,
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json', 'x-csrf-token': token ?? '', cookie: `${sessionCookieName}=${client.cookie(sessionCookieName)}; pw_csrf=${client.cookie('pw_csrf')}` },
    });
  const header = () => templateColumns(questions);

  beforeAll(async () => {
    await loadWiganPlaces(db());
    ({ campaign, questions } = await sampleCampaign(db(), h.seed.organisationId, { questions: questionsAsked }));
    await setStatus(db(), campaign, 'open', cliActor);
    campaign = { ...campaign, status: 'open' };
    closed = (await sampleCampaign(db(), h.seed.organisationId, { title: 'Closed conversation (sample data)' })).campaign;
    await setStatus(db(), closed, 'closed', cliActor);
    coordinator = await signedIn(emailOf('coordinator'));
    member = await signedIn(emailOf('member'));
  }, 600_000);

  it('gives viewers a template with one column per question and a comment column where asked', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const res = await viewer.get(`${base()}/template.csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const [headings] = parse(res.body, { bom: true }) as string[][];
    expect(headings).toEqual([
      'answered_at',
      'postcode',
      'neighbourhood_id',
      'q1 What are you proud of about where you live?',
      'q2 How long have you lived here?',
      'q2_comment',
      'q3 How much do you feel you belong here?',
      'q4 What would make it better?',
      'demographics_consent',
      'age_band',
      'gender',
      'ethnicity_group',
      'disability',
      'tenure',
    ]);
  });

  it('reads a form the way the capture form posts it', () => {
    const [q1, q2, q3, q4] = questions as [Question, Question, Question, Question];
    const input = responseInputFromForm(
      {
        [answerField(q1)]: 'The park',
        [answerField(q2)]: 'More than 5 years',
        [commentField(q2)]: 'Born here',
        [answerField(q3)]: '4',
        [answerField(q4)]: ['Parks', 'Buses'],
        postcode: 'WN5 9AB',
        'demographics-consent': 'yes',
        'age-band': '25-34',
        'answered-at-day': '3',
        'answered-at-month': '2',
        'answered-at-year': '2026',
        [`answer-${randomUUID()}`]: 'to a question since removed',
      },
      questions,
    );
    expect(input.answers[q1.id]).toMatchObject({ text: 'The park' });
    expect(input.answers[q2.id]).toMatchObject({ choices: ['More than 5 years'], comment: 'Born here' });
    expect(input.answers[q3.id]).toMatchObject({ scale: 4 });
    expect(input.answers[q4.id]).toMatchObject({ choices: ['Parks', 'Buses'] });
    expect(Object.keys(input.answers)).toHaveLength(5); // the stray answer is kept, for checkResponse to refuse
    expect(input.demographicsConsent).toBe(true);
    expect(input.demographics?.ageBand).toBe('25-34');
    expect(input.contact).toBeNull();
    expect(input.answeredAt?.toISOString()).toBe('2026-02-03T12:00:00.000Z');
    expect(responseInputFromForm({ 'answered-at-day': '31', 'answered-at-month': '2', 'answered-at-year': '2026' }, questions).answeredAt?.getTime()).toBeNaN();
  });

  it('imports a good file: every row, placed by postcode, under one import id, with one audit event', async () => {
    const before = await count();
    const file = csv([
      header(),
      ['2026-03-01', 'WN5 9AB', '', 'The library', 'More than 5 years', 'Born here', '5', 'Parks; Buses', 'yes', '65-74', 'woman', '', '', 'owned'],
      ['2026-03-02T14:30:00Z', 'WN1 1AA', '', '', '1 to 5 years', '', '2', '', '', '', '', '', '', ''],
      ['2026-03-03', '', '', 'Friendly neighbours', '', '', '', 'Shops', '', '', '', '', '', ''],
    ]);
    const res = await coordinator.postFile(`${base()}/import`, {}, { field: 'file', filename: 'responses.csv', content: file });
    expect(res.statusCode, res.body).toBe(303);
    expect(await count()).toBe(before + 3);
    const rows = await queryRows<{ import_id: string | null; channel: string; lsoa21: string | null; ward25: string | null; lad25: string | null; location_source: string; age_band: string | null; answered_at: Date | string }>(
      db(),
      sql`select import_id, channel, lsoa21, ward25, lad25, location_source, age_band, answered_at from voice_responses where campaign_id = ${campaign.id} and channel = 'import' order by answered_at`,
    );
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.import_id)).size).toBe(1);
    expect(rows[0]!.import_id).toMatch(/^[0-9a-f-]{36}$/);
    // The 2021 LSOA whose boundary holds the postcode's point.
    const [expected1] = await queryRows<{ code: string }>(
      db(),
      sql`select a.code from postcodes p join areas a on a.vintage = 'lsoa21' and ST_Contains(a.boundary, p.location) where p.postcode = 'WN5 9AB'`,
    );
    expect(rows[0]).toMatchObject({ location_source: 'postcode', lsoa21: expected1!.code, lad25: 'E08000010', age_band: '65-74' });
    expect(rows[0]!.ward25).toMatch(/^E05\d{6}$/);
    expect(rows[1]).toMatchObject({ location_source: 'postcode', lad25: 'E08000010' });
    expect(rows[1]!.ward25).not.toBe(rows[0]!.ward25);
    expect(new Date(rows[1]!.answered_at).toISOString()).toBe('2026-03-02T14:30:00.000Z');
    expect(rows[2]).toMatchObject({ location_source: 'none', lsoa21: null, ward25: null });
    const answers = await queryRows<{ position: number; choices: string[] | null; scale: number | null; comment: string | null }>(
      db(),
      sql`select q.position, a.choices, a.scale, a.comment from voice_answers a join voice_questions q on q.id = a.question_id join voice_responses r on r.id = a.response_id
          where r.import_id = ${rows[0]!.import_id} and r.answered_at = '2026-03-01T12:00:00Z' order by q.position`,
    );
    expect(answers.map((a) => a.position)).toEqual([1, 2, 3, 4]);
    expect(answers[1]).toMatchObject({ choices: ['More than 5 years'], comment: 'Born here' });
    expect(answers[2]!.scale).toBe(5);
    expect(answers[3]!.choices).toEqual(['Parks', 'Buses']);
    const audits = await queryRows<{ details: { rows: number; importId: string } }>(db(), sql`select details from audit_events where action = 'voice.responses.imported' and object_id = ${campaign.id}`);
    expect(audits).toHaveLength(1);
    expect(audits[0]!.details).toMatchObject({ rows: 3, importId: rows[0]!.import_id });
  });

  it('refuses a file with bad rows, naming each row and column, and stores nothing', async () => {
    const before = await count();
    const file = csv([
      header(),
      ['2026-03-01', 'WN5 9AB', '', 'Fine row', '', '', '', '', '', '', '', '', '', ''],
      ['2026-03-01', '', '', '', '', '', '9', '', '', '', '', '', '', ''],
      ['2026-03-01', '', '', '', 'Forever', '', '', '', '', '', '', '', '', ''],
      ['yesterday', '', '', 'Something', '', '', '', '', '', '', '', '', '', ''],
      ['2026-03-01', '', '', 'Something', '', '', '', 'Trams', '', '25-34', '', '', '', ''],
      ['2026-03-01', 'ZZ9 9ZZ', '', 'Something', '', '', '', '', '', '', '', '', '', ''],
    ]);
    const res = await coordinator.postFile(`${base()}/import`, {}, { field: 'file', filename: 'responses.csv', content: file });
    expect(res.statusCode).toBe(400);
    const body = res.body.replace(/&#39;|&quot;|&ldquo;|&rdquo;/g, '');
    expect(body).toContain('nothing was imported');
    const row = (n: number, column: string) => new RegExp(`Row ${n}</th>\\s*<td class="govuk-table__cell"><code>${column.replace(/[?]/g, '\\?')}</code>`);
    expect(body).toMatch(row(3, 'q3'));
    expect(body).toMatch(row(4, 'q2'));
    expect(body).toMatch(row(5, 'answered_at'));
    expect(body).toMatch(row(6, 'q4'));
    expect(body).toMatch(row(6, 'demographics_consent'));
    expect(body).toMatch(row(7, 'postcode'));
    expect(body).not.toMatch(/Row 2<\/th>/);
    expect(await count()).toBe(before);
  });

  it('refuses wrong headings and names them', async () => {
    const before = await count();
    const headings = header().filter((c) => !c.startsWith('q1 ')).concat('q9 A question never asked', 'favourite colour');
    const res = await coordinator.postFile(`${base()}/import`, {}, { field: 'file', filename: 'responses.csv', content: csv([headings, headings.map(() => '')]) });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('This campaign has no question 9');
    expect(res.body).toContain('favourite colour');
    expect(res.body).toContain('The file needs a column for question 1');
    expect(await count()).toBe(before);
    // No file at all: said at the field.
    const empty = await coordinator.postFile(`${base()}/import`, {}, { field: 'file', filename: 'none.csv', content: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Choose a CSV or Excel file of responses');
  });

  it('neutralises formulas in the export, leaves out contact details, and audits it', async () => {
    const [q1, q2] = questions as [Question, Question];
    const result = await recordResponse(
      db(),
      campaign,
      questions,
      { answers: { [q1.id]: { text: '=HYPERLINK("http://example.com","click")' }, [q2.id]: { choices: ['1 to 5 years'], comment: '@SUM(1+1)' } }, demographicsConsent: false, contact: { name: 'Sample Person', email: 'sample.person@example.org', consent: true } },
      { channel: 'volunteer' },
      cliActor,
    );
    expect(result.status).toBe('recorded');
    expect((await member.get(`${base()}/responses.csv`)).statusCode).toBe(403);
    const res = await coordinator.get(`${base()}/responses.csv`);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('sample.person@example.org');
    expect(res.body).not.toContain('Sample Person');
    const [headings, ...rows] = parse(res.body, { bom: true }) as string[][];
    expect(headings!.slice(0, 8)).toEqual(['id', 'answered_at', 'channel', 'lsoa21', 'ward25', 'lad25', 'neighbourhood_id', 'neighbourhood']);
    expect(headings!.at(-1)).toBe('themes');
    const row = rows.find((r) => r[0] === (result as { id: string }).id)!;
    expect(row[headings!.indexOf('q1 What are you proud of about where you live?')]).toBe(`'=HYPERLINK("http://example.com","click")`);
    expect(row[headings!.indexOf('q2_comment')]).toBe(`'@SUM(1+1)`);
    expect(rows).toHaveLength(await count());
    expect(guardCell('-5')).toBe('-5');
    expect(guardCell('\tx')).toBe(`'\tx`);
    const [audit] = await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from audit_events where action = 'voice.responses.exported' and object_id = ${campaign.id}`);
    expect(audit!.n).toBe(1);
  });

  it('imports its own export as the same answers, places and dates', async () => {
    const exported = (await coordinator.get(`${base()}/responses.csv`)).body;
    const copy = await sampleCampaign(db(), h.seed.organisationId, { title: 'Copy (sample data)', questions: questionsAsked });
    await setStatus(db(), copy.campaign, 'open', cliActor);
    const res = await coordinator.postFile(`/organisations/test-org/voice/${copy.campaign.id}/import`, {}, { field: 'file', filename: 'export.csv', content: exported });
    expect(res.statusCode, res.body).toBe(303);
    const summary = (campaignId: string) =>
      queryRows<{ line: string }>(
        db(),
        sql`select concat_ws('|', r.answered_at, r.lsoa21, r.ward25, r.lad25, r.age_band, r.gender, r.tenure,
              (select string_agg(concat_ws('/', q.position, a.text, array_to_string(a.choices, ';'), a.scale, a.comment), ' ' order by q.position)
                 from voice_answers a join voice_questions q on q.id = a.question_id where a.response_id = r.id)) as line
            from voice_responses r where r.campaign_id = ${campaignId} order by line`,
      );
    const original = await summary(campaign.id);
    expect(original.length).toBeGreaterThanOrEqual(4);
    expect(await summary(copy.campaign.id)).toEqual(original);
    expect(original.some((o) => o.line.includes('=HYPERLINK'))).toBe(true);
  });

  describe('responses sent from a device that was offline', () => {
    const fields = (qs: Question[], scale: string) => [
      [answerField(qs[0]!), 'The canal towpath'],
      [answerField(qs[2]!), scale],
      ['postcode', 'WN5 9AB'],
    ];

    it('records one, says so when it is sent again, and keeps one row', async () => {
      const clientId = randomUUID();
      const answeredAt = '2026-03-10T09:15:00.000Z';
      const first = await sync(member, campaign.id, { clientId, answeredAt, fields: fields(questions, '3') });
      expect(first.statusCode, first.body).toBe(201);
      const { status, id } = first.json() as { status: string; id: string };
      expect(status).toBe('recorded');
      const again = await sync(member, campaign.id, { clientId, answeredAt, fields: fields(questions, '3') });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({ status: 'already-recorded', id });
      const rows = await queryRows<{ channel: string; captured_by: string; answered_at: Date | string; ward25: string | null }>(db(), sql`select channel, captured_by, answered_at, ward25 from voice_responses where client_id = ${clientId}`);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ channel: 'volunteer', captured_by: h.seed.userIds.member });
      expect(new Date(rows[0]!.answered_at).toISOString()).toBe(answeredAt);
      expect(rows[0]!.ward25).toMatch(/^E05/);
      // Two tabs sending the same response at once: one records it, the other is told it already was.
      const twin = randomUUID();
      const both = await Promise.all([0, 1].map(() => sync(member, campaign.id, { clientId: twin, answeredAt, fields: fields(questions, '2') })));
      expect(both.map((r) => r.statusCode).sort()).toEqual([200, 201]);
      expect(await queryRows(db(), sql`select id from voice_responses where client_id = ${twin}`)).toHaveLength(1);
    });

    it('refuses a response with problems, and one from the future, listing them', async () => {
      const before = await count();
      const res = await sync(member, campaign.id, { clientId: randomUUID(), answeredAt: new Date().toISOString(), fields: [...fields(questions, '9'), [answerField(questions[1]!), 'Forever']] });
      expect(res.statusCode).toBe(400);
      const body = res.json() as { status: string; problems: { field: string; message: string }[] };
      expect(body.status).toBe('refused');
      expect(body.problems).toContainEqual({ field: answerField(questions[2]!), message: 'Question 3: choose a number from 1 to 5' });
      expect(body.problems.some((p) => p.field === answerField(questions[1]!) && p.message.startsWith('Question 2:'))).toBe(true);
      const future = await sync(member, campaign.id, { clientId: randomUUID(), answeredAt: new Date(Date.now() + 86_400_000).toISOString(), fields: fields(questions, '3') });
      expect(future.statusCode).toBe(400);
      expect((future.json() as { problems: { field: string }[] }).problems.map((p) => p.field)).toEqual(['answered-at']);
      const garbled = await sync(member, campaign.id, { clientId: 'not-an-id', answeredAt: 'soon', fields: 'x' });
      expect(garbled.statusCode).toBe(400);
      expect(await count()).toBe(before);
    });

    it('refuses a closed campaign with 409, and people outside the organisation or below member', async () => {
      const res = await sync(member, closed.id, { clientId: randomUUID(), answeredAt: new Date().toISOString(), fields: [] });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ status: 'refused', problems: [{ field: 'form' }] });
      expect((res.json() as { problems: { message: string }[] }).problems[0]!.message).toContain('This campaign has closed');
      for (const who of ['outsider', 'viewer'] as const) {
        const client = await signedIn(emailOf(who));
        const refused = await sync(client, campaign.id, { clientId: randomUUID(), answeredAt: new Date().toISOString(), fields: fields(questions, '3') });
        expect(refused.statusCode).toBe(403);
      }
      // Without the CSRF token the request is refused before anything else.
      const forged = await sync(member, campaign.id, { clientId: randomUUID(), answeredAt: new Date().toISOString(), fields: fields(questions, '3') }, 'forged');
      expect(forged.statusCode).toBe(403);
      const missing = await sync(member, randomUUID(), { clientId: randomUUID(), answeredAt: new Date().toISOString(), fields: [] });
      expect(missing.statusCode).toBe(404);
    });
  });

  it('shows the import page to coordinators only', async () => {
    const page = await coordinator.get(`${base()}/import`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Import and export responses');
    expect(page.body).toContain('q4 What would make it better?');
    expect((await member.get(`${base()}/import`)).statusCode).toBe(403);
    expect((await coordinator.get(`/organisations/test-org/voice/${randomUUID()}/import`)).statusCode).toBe(404);
  });
});
