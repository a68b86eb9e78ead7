import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createNeighbourhood } from '../neighbourhoods/service.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { setStatus, type Campaign, type Question } from './campaigns.ts';
import { answerField, commentField, contactConsentStatement } from './responses.ts';
import { voiceAnswers, voiceContacts, voiceResponses } from './schema.ts';
import { loadWiganPlaces, sampleCampaign, wigan } from './testing.ts';

describe.each(engines)('answering community voice campaigns on %s', (engine) => {
  const h = useSeededApp(engine);
  const db = () => h.database.db;
  let ready: Promise<{ campaign: Campaign; questions: Question[] }> | null = null;
  let nextAddress = 1;

  /** An open campaign (sample data) on the public link: free text, a choice, and a scale with a comment. */
  const setUp = () =>
    (ready ??= (async () => {
      await loadWiganPlaces(db());
      const made = await sampleCampaign(db(), h.seed.organisationId, {
        lad25: wigan,
        questions: [
          { kind: 'text', prompt: 'What are you proud of about where you live?' },
          { kind: 'choice', prompt: 'How long have you lived here?', options: ['Less than a year', '1 to 5 years', 'More than 5 years'] },
          { kind: 'scale', prompt: 'How much do you feel you belong here?', scaleMin: 1, scaleMax: 5, scaleMinLabel: 'Not at all', scaleMaxLabel: 'Very much', withComment: true },
        ],
      });
      await setStatus(db(), made.campaign, 'open', cliActor);
      return { campaign: { ...made.campaign, status: 'open' as const }, questions: made.questions };
    })());

  const signedIn = async (who: 'viewer' | 'member' | 'coordinator') => {
    const client = new Client(h.app);
    expect((await client.signIn(emailOf(who))).statusCode).toBe(303);
    return client;
  };

  /** A resident's post from their own connection (the rate limit counts per address). */
  const publicPost = async (url: string, form: Record<string, string | string[]>, remoteAddress = `192.0.2.${nextAddress++}`) => {
    const client = new Client(h.app);
    // Any page with a form gives an anonymous visitor a CSRF token; a closed campaign's page has none.
    await client.get('/sign-in');
    const body = new URLSearchParams(Object.entries({ _csrf: client.csrfToken ?? '', ...form }).flatMap(([k, v]) => [v].flat().map((one) => [k, one]))).toString();
    return h.app.inject({ method: 'POST', url, payload: body, remoteAddress, headers: { cookie: `pw_csrf=${client.cookie('pw_csrf') ?? ''}`, 'content-type': 'application/x-www-form-urlencoded' } });
  };

  const responseCount = async () => (await db().select({ id: voiceResponses.id }).from(voiceResponses)).length;
  const answersOf = (q: Question[], text: string, choice: string, scale: string, comment = '') => ({
    [answerField(q[0]!)]: text,
    [answerField(q[1]!)]: choice,
    [answerField(q[2]!)]: scale,
    [commentField(q[2]!)]: comment,
  });

  it('lists open public campaigns and shows the form with every part a resident needs', async () => {
    const { campaign, questions } = await setUp();
    const { campaign: draft } = await sampleCampaign(db(), h.seed.organisationId, { title: 'Draft listening (sample data)' });
    const { campaign: staffOnly } = await sampleCampaign(db(), h.seed.organisationId, { title: 'Staff only (sample data)', acceptsPublic: false });
    await setStatus(db(), staffOnly, 'open', cliActor);

    const list = await new Client(h.app).get('/have-your-say');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`href="/have-your-say/${campaign.id}"`);
    expect(list.body).not.toContain(draft.id);
    expect(list.body).not.toContain(staffOnly.id);

    const form = await new Client(h.app).get(`/have-your-say/${campaign.id}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Proud of Pemberton (sample data)');
    expect(form.body).toContain(`id="${answerField(questions[0]!)}" name="${answerField(questions[0]!)}"`);
    expect(form.body).toMatch(new RegExp(`type="radio" value="1 to 5 years"`));
    expect(form.body).toContain('1 means Not at all. 5 means Very much.');
    expect(form.body).toContain(`id="${commentField(questions[2]!)}"`);
    expect(form.body).toContain('it is never kept');
    expect(form.body).toContain('Prefer not to say');
    expect(form.body).toContain('id="demographics-consent"');
    expect(form.body).toContain(contactConsentStatement);
    // The honeypot: hidden from people and from tabbing, not filled in by browsers.
    expect(form.body).toMatch(/<input type="text" id="website" name="website" value="" autocomplete="off" tabindex="-1">/);

    expect((await new Client(h.app).get(`/have-your-say/${draft.id}`)).statusCode).toBe(404);
    expect((await publicPost(`/have-your-say/${draft.id}`, answersOf(questions, 'x', '', ''))).statusCode).toBe(404);
    expect((await new Client(h.app).get(`/have-your-say/${draft.id}/thanks`)).statusCode).toBe(404);
    expect((await new Client(h.app).get(`/have-your-say/${staffOnly.id}`)).statusCode).toBe(404);
  });

  it('records a located response from the public form, without keeping the postcode', async () => {
    const { campaign, questions } = await setUp();
    const before = await responseCount();
    const response = await publicPost(`/have-your-say/${campaign.id}`, {
      ...answersOf(questions, 'The <script>alert("hi")</script> park & the canal', '1 to 5 years', '4', 'Good neighbours'),
      postcode: 'wn1 1aa',
      'demographics-consent': 'yes',
      'age-band': '25-34',
      tenure: 'social-rented',
      gender: '',
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/have-your-say/${campaign.id}/thanks`);
    expect(await responseCount()).toBe(before + 1);
    const [row] = await db().select().from(voiceResponses).where(eq(voiceResponses.campaignId, campaign.id));
    expect(row).toMatchObject({ channel: 'public', locationSource: 'postcode', lad25: wigan, capturedBy: null, demographicsConsent: true, ageBand: '25-34', tenure: 'social-rented', gender: null });
    expect(row!.ward25).toMatch(/^E05\d{6}$/);
    expect(row!.lsoa21).toMatch(/^E01\d{6}$/);
    // The ward found is one of Wigan's, the district the lookup gives.
    const [ward] = await queryRows<{ lad: string }>(db(), sql`select to_code as lad from area_lookups where from_vintage = 'ward25' and from_code = ${row!.ward25} and to_vintage = 'lad25'`);
    expect(ward?.lad).toBe(wigan);
    const answers = await db().select().from(voiceAnswers).where(eq(voiceAnswers.responseId, row!.id));
    expect(answers.find((a) => a.questionId === questions[0]!.id)?.text).toBe('The <script>alert("hi")</script> park & the canal');
    expect(answers.find((a) => a.questionId === questions[1]!.id)?.choices).toEqual(['1 to 5 years']);
    expect(answers.find((a) => a.questionId === questions[2]!.id)).toMatchObject({ scale: 4, comment: 'Good neighbours' });
    // The postcode is nowhere: not in the response, its answers, contact details or the audit log.
    const everything = JSON.stringify([row, answers, await db().select().from(voiceContacts), await queryRows(db(), sql`select * from audit_events`)]).toUpperCase();
    expect(everything).not.toContain('WN1 1AA');
    expect(everything).not.toContain('WN11AA');

    const thanks = await new Client(h.app).get(`/have-your-say/${campaign.id}/thanks`);
    expect(thanks.statusCode).toBe(200);
    expect(thanks.body).toContain('What happens next');

    // A member reading it sees the words, escaped, and the place by name; never markup.
    const member = await signedIn('member');
    const detail = await member.get(`/organisations/test-org/voice/${campaign.id}/responses/${row!.id}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain('The &lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; park &amp; the canal');
    expect(detail.body).not.toContain('<script>alert(');
    expect(detail.body).toContain('4 out of 5');
    expect(detail.body).toContain('25 to 34');
    expect(detail.body).toContain(`(${row!.ward25})`);
    const list = await member.get(`/organisations/test-org/voice/${campaign.id}/responses`);
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('The &lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; park &amp; the canal');
    expect(list.body).toContain(`<option value="${row!.ward25}">`);
  });

  it('refuses bad answers with messages linking to each field, keeps what was typed, and stores nothing', async () => {
    const { campaign, questions } = await setUp();
    const before = await responseCount();
    const response = await publicPost(`/have-your-say/${campaign.id}`, {
      ...answersOf(questions, 'Kept as typed', 'Twenty years', '9'),
      'age-band': '35-44',
      'contact-name': 'Sam Sample',
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('There is a problem');
    expect(response.body).toContain('Question 2: &quot;Twenty years&quot; is not one of the answers offered');
    expect(response.body).toContain(`href="#${answerField(questions[1]!)}"`);
    expect(response.body).toContain('Question 3: choose a number from 1 to 5');
    expect(response.body).toContain(`href="#${answerField(questions[2]!)}"`);
    expect(response.body).toContain('href="#demographics-consent"');
    expect(response.body).toContain('href="#contact-consent"');
    expect(response.body).toContain('href="#contact-email"');
    expect(response.body).toContain('Kept as typed</textarea>');
    expect(response.body).toContain('value="Sam Sample"');
    expect(await responseCount()).toBe(before);

    const nothing = await publicPost(`/have-your-say/${campaign.id}`, answersOf(questions, '', '', ''));
    expect(nothing.statusCode).toBe(400);
    expect(nothing.body).toContain('Answer at least one question');
    expect(await responseCount()).toBe(before);
  });

  it('thanks a robot that fills the honeypot, and keeps nothing', async () => {
    const { campaign, questions } = await setUp();
    const before = await responseCount();
    const response = await publicPost(`/have-your-say/${campaign.id}`, { ...answersOf(questions, 'Buy cheap things', '', ''), website: 'https://spam.example' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/have-your-say/${campaign.id}/thanks`);
    expect(await responseCount()).toBe(before);
  });

  it('limits each connection to 10 answers an hour, with a page of its own', async () => {
    const { campaign, questions } = await setUp();
    const form = { ...answersOf(questions, 'Again', '', ''), website: 'robot' };
    for (let i = 0; i < 10; i++) expect((await publicPost(`/have-your-say/${campaign.id}`, form, '198.51.100.7')).statusCode).toBe(303);
    const refused = await publicPost(`/have-your-say/${campaign.id}`, form, '198.51.100.7');
    expect(refused.statusCode).toBe(429);
    expect(refused.body).toContain('Too many answers');
    expect(refused.body).toContain('try again in an hour');
    // Another connection is not held up.
    expect((await publicPost(`/have-your-say/${campaign.id}`, form, '198.51.100.8')).statusCode).toBe(303);
  });

  it('says when a campaign is closed or not open yet, and refuses answers to it', async () => {
    await setUp();
    const { campaign: closed, questions } = await sampleCampaign(db(), h.seed.organisationId, { title: 'Closed listening (sample data)' });
    await setStatus(db(), closed, 'open', cliActor);
    await setStatus(db(), { ...closed, status: 'open' }, 'closed', cliActor);
    const page = await new Client(h.app).get(`/have-your-say/${closed.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('This has closed: it is no longer taking answers');
    const before = await responseCount();
    const refused = await publicPost(`/have-your-say/${closed.id}`, { [`answer-${questions[0]!.id}`]: 'Too late' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('This has closed');
    expect(await responseCount()).toBe(before);

    const { campaign: later } = await sampleCampaign(db(), h.seed.organisationId, { title: 'Later listening (sample data)', opensOn: '2099-01-01' });
    await setStatus(db(), later, 'open', cliActor);
    const notYet = await new Client(h.app).get(`/have-your-say/${later.id}`);
    expect(notYet.statusCode).toBe(200);
    expect(notYet.body).toContain('This is not open for answers yet. It opens on 1 January 2099.');
  });

  it('lets a member capture a response, stored once however often it is sent', async () => {
    const { campaign, questions } = await setUp();
    const member = await signedIn('member');
    const path = `/organisations/test-org/voice/${campaign.id}/capture`;
    const form = await member.get(path);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`data-voice-capture data-sync-url="/organisations/test-org/voice/${campaign.id}/sync" data-campaign-id="${campaign.id}"`);
    expect(form.body).toContain('<div data-voice-offline-status aria-live="polite"></div>');
    expect(form.body).toContain('<input type="hidden" name="clientId" value="">');

    const clientId = randomUUID();
    const body = { ...answersOf(questions, 'More benches on the high street', 'More than 5 years', '2'), clientId, 'answered-at-day': '3', 'answered-at-month': '10', 'answered-at-year': '2025' };
    const saved = await member.post(path, body);
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(path);
    expect((await member.get(path)).body).toContain('Response saved');
    const again = await member.post(path, body);
    expect(again.statusCode).toBe(303);
    const rows = await db().select().from(voiceResponses).where(eq(voiceResponses.clientId, clientId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ channel: 'volunteer', capturedBy: h.seed.userIds.member, locationSource: 'none' });
    expect(rows[0]!.answeredAt.toISOString().slice(0, 10)).toBe('2025-10-03');
    expect((await member.get(`/organisations/test-org/voice/${campaign.id}/responses/${rows[0]!.id}`)).body).toContain('Test member');

    const badDate = await member.post(path, { ...body, clientId: randomUUID(), 'answered-at-day': '31', 'answered-at-month': '2' });
    expect(badDate.statusCode).toBe(400);
    expect(badDate.body).toContain('href="#answered-at-day"');
    const future = await member.post(path, { ...body, clientId: randomUUID(), 'answered-at-year': '2099' });
    expect(future.statusCode).toBe(400);
    expect(future.body).toContain('The date answered cannot be in the future');
    expect(await db().select().from(voiceResponses).where(eq(voiceResponses.channel, 'volunteer'))).toHaveLength(1);

    const list = await member.get(`/organisations/test-org/voice/${campaign.id}/responses?channel=volunteer`);
    expect(list.body).toContain('More benches on the high street');
    expect(list.body).not.toContain('alert(');
  });

  it('keeps viewers from capturing, and capture from a campaign that is not open', async () => {
    const { campaign, questions } = await setUp();
    const viewer = await signedIn('viewer');
    const path = `/organisations/test-org/voice/${campaign.id}/capture`;
    const before = await responseCount();
    expect((await viewer.get(path)).statusCode).toBe(403);
    expect((await viewer.post(path, answersOf(questions, 'Not mine to say', '', ''))).statusCode).toBe(403);
    expect(await responseCount()).toBe(before);

    const { campaign: draft, questions: draftQuestions } = await sampleCampaign(db(), h.seed.organisationId, { title: 'Draft capture (sample data)' });
    const member = await signedIn('member');
    const draftPath = `/organisations/test-org/voice/${draft.id}/capture`;
    expect((await member.get(draftPath)).body).toContain('This campaign is still a draft');
    expect((await member.post(draftPath, answersOf(draftQuestions, 'Too early', '', ''))).statusCode).toBe(409);
    expect(await responseCount()).toBe(before);
  });

  it('shows contact details to coordinators only, records each look, and erases them without the response', async () => {
    const { campaign, questions } = await setUp();
    const posted = await publicPost(`/have-your-say/${campaign.id}`, {
      ...answersOf(questions, 'Call me about the footpath', '', ''),
      'contact-name': 'Sam Sample',
      'contact-email': 'Sam.Sample@Example.org',
      'contact-consent': 'yes',
    });
    expect(posted.statusCode).toBe(303);
    const [contact] = await db().select().from(voiceContacts).where(eq(voiceContacts.name, 'Sam Sample'));
    expect(contact).toMatchObject({ email: 'sam.sample@example.org', phone: null, consentStatement: contactConsentStatement });

    const member = await signedIn('member');
    expect((await member.get(`/organisations/test-org/voice/${campaign.id}/responses/${contact!.responseId}`)).body).not.toContain('sam.sample@example.org');
    expect((await member.get(`/organisations/test-org/voice/${campaign.id}/contacts`)).statusCode).toBe(403);

    const coordinator = await signedIn('coordinator');
    const page = await coordinator.get(`/organisations/test-org/voice/${campaign.id}/contacts`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Sam Sample');
    expect(page.body).toContain('sam.sample@example.org');
    const viewed = await queryRows<{ actor_user_id: string }>(db(), sql`select actor_user_id from audit_events where action = 'voice.contacts.viewed' and object_id = ${campaign.id}`);
    expect(viewed.map((v) => v.actor_user_id)).toEqual([h.seed.userIds.coordinator]);

    const erase = `/organisations/test-org/voice/${campaign.id}/contacts/${contact!.responseId}/erase`;
    expect((await member.post(erase)).statusCode).toBe(403);
    const erased = await coordinator.post(erase);
    expect(erased.statusCode).toBe(303);
    expect(await db().select().from(voiceContacts).where(eq(voiceContacts.responseId, contact!.responseId))).toHaveLength(0);
    expect(await db().select().from(voiceResponses).where(eq(voiceResponses.id, contact!.responseId))).toHaveLength(1);
    expect(await db().select().from(voiceAnswers).where(eq(voiceAnswers.responseId, contact!.responseId))).toHaveLength(1);
    expect(await queryRows(db(), sql`select 1 from audit_events where action = 'voice.contact.erased' and object_id = ${contact!.responseId}`)).toHaveLength(1);
    expect((await coordinator.post(erase)).statusCode).toBe(404);
    expect((await coordinator.get(`/organisations/test-org/voice/${campaign.id}/contacts`)).body).not.toContain('Sam Sample');
  });

  it('offers residents public neighbourhoods in the district, and members those their organisations may see', async () => {
    const { campaign, questions } = await setUp();
    const [ward] = await queryRows<{ code: string }>(db(), sql`select from_code as code from area_lookups where from_vintage = 'ward25' and to_vintage = 'lad25' and to_code = ${wigan} order by from_code limit 1`);
    const shape = { method: 'wards' as const, geography: 'ward25' as const, codes: [ward!.code] };
    const open = await createNeighbourhood(db(), { name: 'Open Patch (sample data)', purpose: 'locality', sharing: 'public', description: null }, shape, { organisationId: h.seed.organisationId, userId: null }, cliActor);
    const own = await createNeighbourhood(db(), { name: 'Our Patch (sample data)', purpose: 'service-delivery', sharing: 'organisation', description: null }, shape, { organisationId: h.seed.organisationId, userId: null }, cliActor);

    const form = await new Client(h.app).get(`/have-your-say/${campaign.id}`);
    expect(form.body).toContain(`<option value="${open}">Open Patch (sample data)</option>`);
    expect(form.body).not.toContain('Our Patch');
    const refused = await publicPost(`/have-your-say/${campaign.id}`, { ...answersOf(questions, 'Mine', '', ''), neighbourhood: own });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('href="#neighbourhood"');
    expect(refused.body).toContain('Choose a neighbourhood from the list');
    expect((await publicPost(`/have-your-say/${campaign.id}`, { ...answersOf(questions, 'Open patch answer', '', ''), neighbourhood: open })).statusCode).toBe(303);

    const member = await signedIn('member');
    const path = `/organisations/test-org/voice/${campaign.id}/capture`;
    expect((await member.get(path)).body).toContain(`<option value="${own}">Our Patch (sample data)</option>`);
    expect((await member.post(path, { ...answersOf(questions, 'Our patch answer', '', ''), neighbourhood: own })).statusCode).toBe(303);
    const placed = await queryRows<{ neighbourhood_id: string; location_source: string; ward25: string | null }>(db(), sql`select neighbourhood_id, location_source, ward25 from voice_responses where neighbourhood_id is not null order by received_at`);
    expect(placed).toEqual([
      { neighbourhood_id: open, location_source: 'neighbourhood', ward25: null },
      { neighbourhood_id: own, location_source: 'neighbourhood', ward25: null },
    ]);
  });
});
