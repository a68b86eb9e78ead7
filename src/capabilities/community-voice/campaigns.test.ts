import { asc, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, emailOf, useSeededApp, visitors, type Visitor } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { dateFrom } from './campaign-routes.ts';
import { setStatus } from './campaigns.ts';
import { voiceCampaigns, voiceQuestions } from './schema.ts';
import { loadWiganPlaces, sampleCampaign, wigan } from './testing.ts';

describe('dateFrom', () => {
  it('reads the three boxes of a date, and refuses days that do not exist', () => {
    expect(dateFrom({ 'd-day': '3', 'd-month': '10', 'd-year': '2026' }, 'd')).toBe('2026-10-03');
    expect(dateFrom({}, 'd')).toBeNull();
    expect(dateFrom({ 'd-day': '31', 'd-month': '2', 'd-year': '2026' }, 'd')).toBe('invalid');
    expect(dateFrom({ 'd-day': '1', 'd-month': '', 'd-year': '2026' }, 'd')).toBe('invalid');
  });
});

describe.each(engines)('community voice campaigns on %s', (engine) => {
  const h = useSeededApp(engine);
  let placesLoaded = false;
  const db = () => h.database.db;
  const signedIn = async (who: Exclude<Visitor, 'anonymous'>) => {
    if (!placesLoaded) {
      await loadWiganPlaces(db());
      placesLoaded = true;
    }
    const client = new Client(h.app);
    expect((await client.signIn(emailOf(who))).statusCode).toBe(303);
    return client;
  };
  const campaignsNamed = (title: string) => db().select().from(voiceCampaigns).where(eq(voiceCampaigns.title, title));
  const questionsOfCampaign = (id: string) => db().select().from(voiceQuestions).where(eq(voiceQuestions.campaignId, id)).orderBy(asc(voiceQuestions.position));
  const audits = (action: string, objectId: string) => queryRows<{ details: Record<string, unknown> }>(db(), sql`select details from audit_events where action = ${action} and object_id = ${objectId}`);

  it('starts a Place Standard campaign from the form, with the 14 themes as its questions', async () => {
    const client = await signedIn('coordinator');
    const form = await client.get('/organisations/test-org/voice/new');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Comes with the 14 Place Standard themes');
    // The district list is short with only Wigan loaded, so it is a select.
    expect(form.body).toContain('<option value="E08000010">Wigan (E08000010)</option>');

    const response = await client.post('/organisations/test-org/voice/new', {
      title: 'Pemberton Place Standard (sample data)',
      summary: 'How is Pemberton as a place to live?',
      kind: 'place-standard',
      lad25: wigan,
      acceptsPublic: 'yes',
      'opensOn-day': '1',
      'opensOn-month': '4',
      'opensOn-year': '2026',
      'closesOn-day': '30',
      'closesOn-month': '6',
      'closesOn-year': '2026',
    });
    expect(response.statusCode).toBe(303);
    const [campaign] = await campaignsNamed('Pemberton Place Standard (sample data)');
    expect(campaign).toMatchObject({ kind: 'place-standard', lad25: wigan, acceptsPublic: true, opensOn: '2026-04-01', closesOn: '2026-06-30', status: 'draft', published: false });
    expect(response.headers.location).toBe(`/organisations/test-org/voice/${campaign!.id}`);
    const questions = await questionsOfCampaign(campaign!.id);
    expect(questions).toHaveLength(14);
    expect(questions.every((q) => q.kind === 'scale' && q.scaleMin === 1 && q.scaleMax === 7 && q.withComment)).toBe(true);
    expect(questions[0]!.placeStandardTheme).toBe('moving-around');
    expect(questions[13]!.placeStandardTheme).toBe('influence-and-sense-of-control');
    expect(await audits('voice.campaign.created', campaign!.id)).toHaveLength(1);

    const overview = await client.get(response.headers.location as string);
    expect(overview.statusCode).toBe(200);
    expect(overview.body).toContain('Place Standard results and compass chart');
    expect(overview.body).toContain('Moving around: Can I easily walk and cycle around using good-quality routes?');
    expect(overview.body).toContain('Wigan (E08000010)');
    expect(overview.body).toContain('Open the campaign');
    // Nobody has answered: every count in the breakdown is below 5, so none is shown.
    expect(overview.body).toContain('fewer than 5');
  });

  it('takes a district by name, and refuses bad answers with messages, changing nothing', async () => {
    const client = await signedIn('coordinator');
    const before = (await db().select().from(voiceCampaigns)).length;
    const attempt = async (form: Record<string, string>, message: string, href: string) => {
      const response = await client.post('/organisations/test-org/voice/new', { title: 'Refused (sample data)', kind: 'survey', ...form });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain(message);
      expect(response.body).toContain(`href="${href}"`);
      // What was typed is kept.
      if (form.title === undefined) expect(response.body).toContain('value="Refused (sample data)"');
    };
    await attempt({ title: '' }, 'Enter a title for the campaign', '#title');
    await attempt({ kind: '' }, 'Choose what kind of campaign this is', '#kind');
    await attempt({ 'opensOn-day': '31', 'opensOn-month': '2', 'opensOn-year': '2026' }, 'Enter a real date', '#opensOn-day');
    await attempt({ 'opensOn-day': '2', 'opensOn-month': '3', 'opensOn-year': '2026', 'closesOn-day': '1', 'closesOn-month': '3', 'closesOn-year': '2026' }, 'The closing date must be on or after the opening date', '#closesOn-day');
    await attempt({ lad25: 'Atlantis' }, 'Atlantis is not a 2025 local authority district Patchwork knows', '#lad25');
    await attempt({ repeatOfId: 'not-a-campaign' }, 'Choose one of your organisation’s earlier campaigns', '#repeatOfId');
    const { campaign: listening } = await sampleCampaign(db(), h.seed.organisationId, { title: 'Earlier listening (sample data)' });
    await attempt({ kind: 'place-standard', repeatOfId: listening.id }, 'A repeat must be the same kind of campaign as the one it repeats', '#repeatOfId');
    expect((await db().select().from(voiceCampaigns)).length).toBe(before + 1);

    const byName = await client.post('/organisations/test-org/voice/new', { title: 'Wigan survey (sample data)', kind: 'survey', lad25: 'wigan' });
    expect(byName.statusCode).toBe(303);
    const [made] = await campaignsNamed('Wigan survey (sample data)');
    expect(made).toMatchObject({ lad25: wigan, acceptsPublic: false, opensOn: null, closesOn: null });
    expect(await questionsOfCampaign(made!.id)).toHaveLength(0);
  });

  it('adds questions while draft or open, and refuses once closed', async () => {
    const client = await signedIn('coordinator');
    const { campaign } = await sampleCampaign(db(), h.seed.organisationId, { title: 'Questions (sample data)' });
    const path = `/organisations/test-org/voice/${campaign.id}/questions/new`;
    expect((await client.get(path)).statusCode).toBe(200);

    const one = await client.post(path, { kind: 'choice', prompt: 'Which park do you use most?', options: 'Only one' });
    expect(one.statusCode).toBe(400);
    expect(one.body).toContain('Give at least two answers to choose from, one on each line');
    expect(one.body).toContain('href="#options"');
    const scale = await client.post(path, { kind: 'scale', prompt: 'How safe do you feel?', scaleMin: '5', scaleMax: '1' });
    expect(scale.statusCode).toBe(400);
    expect(scale.body).toContain('The highest point of the scale must be more than the lowest');
    expect(await questionsOfCampaign(campaign.id)).toHaveLength(3);

    const added = await client.post(path, { kind: 'multiple-choice', prompt: 'Which parks do you use?', options: 'Jubilee Park\r\nAlexandra Park\r\n\r\nMesnes Park', required: 'yes', withComment: 'yes' });
    expect(added.statusCode).toBe(303);
    const questions = await questionsOfCampaign(campaign.id);
    expect(questions).toHaveLength(4);
    expect(questions[3]).toMatchObject({ position: 4, kind: 'multiple-choice', options: ['Jubilee Park', 'Alexandra Park', 'Mesnes Park'], required: true, withComment: true });

    await setStatus(db(), campaign, 'open', cliActor);
    expect((await client.post(path, { kind: 'text', prompt: 'Anything else?' })).statusCode).toBe(303);
    await setStatus(db(), { ...campaign, status: 'open' }, 'closed', cliActor);
    const closed = await client.post(path, { kind: 'text', prompt: 'Too late?' });
    expect(closed.statusCode).toBe(409);
    expect(closed.body).toContain('This campaign is closed: questions cannot be added to it');
    expect(await questionsOfCampaign(campaign.id)).toHaveLength(5);
    expect((await client.get(`/organisations/test-org/voice/${campaign.id}`)).body).toContain('The campaign is closed, so no questions can be added.');
  });

  it('opens, closes, publishes and unpublishes, with a record of each', async () => {
    const client = await signedIn('coordinator');
    const { campaign } = await sampleCampaign(db(), h.seed.organisationId, { title: 'Status (sample data)' });
    const base = `/organisations/test-org/voice/${campaign.id}`;
    const row = async () => (await db().select().from(voiceCampaigns).where(eq(voiceCampaigns.id, campaign.id)))[0]!;

    const empty = await client.post(`${base}/status`, {});
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Choose whether to open or close the campaign');
    expect((await row()).status).toBe('draft');
    expect((await client.post(`${base}/status`, { status: 'draft' })).statusCode).toBe(400);

    expect((await client.post(`${base}/status`, { status: 'open' })).statusCode).toBe(303);
    expect((await row()).status).toBe('open');
    const overview = await client.get(base);
    expect(overview.body).toContain(`href="/have-your-say/${campaign.id}"`);
    expect(overview.body).toContain('Close the campaign');

    expect((await client.post(`${base}/publish`, { published: 'yes' })).statusCode).toBe(303);
    expect(await row()).toMatchObject({ published: true });
    expect((await row()).publishedAt).not.toBeNull();
    expect((await client.get(base)).body).toContain(`href="/voice/${campaign.id}"`);
    expect((await client.post(`${base}/publish`, { published: 'no' })).statusCode).toBe(303);
    expect(await row()).toMatchObject({ published: false, publishedAt: null });

    expect((await client.post(`${base}/status`, { status: 'closed' })).statusCode).toBe(303);
    expect((await row()).status).toBe('closed');
    expect((await client.get(base)).body).not.toContain(`href="/have-your-say/${campaign.id}"`);
    expect((await audits('voice.campaign.status', campaign.id)).map((a) => a.details)).toEqual([
      { from: 'draft', to: 'open' },
      { from: 'open', to: 'closed' },
    ]);
    expect(await audits('voice.campaign.published', campaign.id)).toHaveLength(1);
    expect(await audits('voice.campaign.unpublished', campaign.id)).toHaveLength(1);
  });

  it('lets viewers read, members capture and only coordinators manage; another organisation’s campaign is not there', async () => {
    const { campaign } = await sampleCampaign(db(), h.seed.organisationId, { title: 'Permissions <b>(sample data)</b>' });
    const base = `/organisations/test-org/voice/${campaign.id}`;
    const viewer = await signedIn('viewer');
    const list = await viewer.get('/organisations/test-org/voice');
    expect(list.statusCode).toBe(200);
    // Titles are shown as typed, never as markup.
    expect(list.body).toContain('Permissions &lt;b&gt;(sample data)&lt;/b&gt;');
    expect(list.body).not.toContain('Start a campaign');
    const seen = await viewer.get(base);
    expect(seen.statusCode).toBe(200);
    expect(seen.body).not.toContain('Read the responses');
    expect(seen.body).not.toContain('Open the campaign');
    expect((await viewer.get(`${base}/responses`)).statusCode).toBe(403);

    const member = await signedIn('member');
    expect((await member.get('/organisations/test-org/voice/new')).statusCode).toBe(403);
    expect((await member.post('/organisations/test-org/voice/new', { title: 'Not allowed (sample data)', kind: 'survey' })).statusCode).toBe(403);
    expect(await campaignsNamed('Not allowed (sample data)')).toHaveLength(0);
    expect((await member.post(`${base}/status`, { status: 'open' })).statusCode).toBe(403);
    expect((await member.get(`${base}/contacts`)).statusCode).toBe(403);
    expect((await member.get(`${base}/responses`)).statusCode).toBe(200);
    expect((await member.get(base)).body).toContain('Read the responses');

    const outsider = await signedIn('outsider');
    expect((await outsider.get('/organisations/test-org/voice')).statusCode).toBe(403);

    const [other] = await db().insert(organisations).values({ slug: 'other-voice-org', name: 'Other Voice Organisation', kind: 'vcse' }).returning({ id: organisations.id });
    const { campaign: theirs } = await sampleCampaign(db(), other!.id, { title: 'Theirs (sample data)' });
    const coordinator = await signedIn('coordinator');
    expect((await coordinator.get(`/organisations/test-org/voice/${theirs.id}`)).statusCode).toBe(404);
    expect((await coordinator.post(`/organisations/test-org/voice/${theirs.id}/status`, { status: 'open' })).statusCode).toBe(404);
    expect((await coordinator.get('/organisations/test-org/voice')).body).not.toContain('Theirs (sample data)');
    const admin = await signedIn('site-admin');
    expect((await admin.get(`/organisations/other-voice-org/voice/${theirs.id}`)).statusCode).toBe(200);
  });

  it('answers each kind of visitor as the route matrix says, for a campaign that is not there', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    type Row = Record<Visitor, number>;
    const everyone = (status: number) => Object.fromEntries(visitors.map((v) => [v, status])) as Row;
    const orgRole = (least: Visitor, anonymous: number, allowed: number): Row => {
      const order: Visitor[] = ['viewer', 'member', 'coordinator', 'admin'];
      const row = { ...everyone(403), anonymous, 'site-admin': allowed };
      for (const role of order.slice(order.indexOf(least))) row[role] = allowed;
      return row;
    };
    const c = `/organisations/test-org/voice/${missing}`;
    const expected: [string, string, Row][] = [
      ['GET', '/organisations/test-org/voice', orgRole('viewer', 302, 200)],
      ['GET', '/organisations/test-org/voice/new', orgRole('coordinator', 302, 200)],
      ['POST', '/organisations/test-org/voice/new', orgRole('coordinator', 401, 400)],
      ['GET', c, orgRole('viewer', 302, 404)],
      ['POST', `${c}/status`, orgRole('coordinator', 401, 404)],
      ['POST', `${c}/publish`, orgRole('coordinator', 401, 404)],
      ['GET', `${c}/questions/new`, orgRole('coordinator', 302, 404)],
      ['POST', `${c}/questions/new`, orgRole('coordinator', 401, 404)],
      ['GET', `${c}/responses`, orgRole('member', 302, 404)],
      ['GET', `${c}/responses/${missing}`, orgRole('member', 302, 404)],
      ['GET', `${c}/contacts`, orgRole('coordinator', 302, 404)],
      ['POST', `${c}/contacts/${missing}/erase`, orgRole('coordinator', 401, 404)],
      ['GET', `${c}/capture`, orgRole('member', 302, 404)],
      ['POST', `${c}/capture`, orgRole('member', 401, 404)],
      ['GET', '/have-your-say', everyone(200)],
      ['GET', `/have-your-say/${missing}`, everyone(404)],
      ['POST', `/have-your-say/${missing}`, everyone(404)],
      ['GET', `/have-your-say/${missing}/thanks`, everyone(404)],
    ];
    const clients = {} as Record<Visitor, Client>;
    for (const visitor of visitors) {
      if (visitor === 'anonymous') {
        clients[visitor] = new Client(h.app);
        await clients[visitor].get('/sign-in');
      } else clients[visitor] = await signedIn(visitor);
    }
    const got: string[] = [];
    const want: string[] = [];
    for (const [method, url, row] of expected) {
      for (const visitor of visitors) {
        const response = method === 'GET' ? await clients[visitor].get(url) : await clients[visitor].post(url, {});
        got.push(`${method} ${url} ${visitor} ${response.statusCode}`);
        want.push(`${method} ${url} ${visitor} ${row[visitor]}`);
      }
    }
    expect(got).toEqual(want);
  });
});
