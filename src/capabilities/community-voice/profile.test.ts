import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { createPriority } from '../partnerships/plan.ts';
import { partnershipOrganisations, partnerships, priorityEvidence } from '../partnerships/schema.ts';
import { questionsOf, setPublished, type Campaign, type Question } from './campaigns.ts';
import { residentsSaid } from './profile.ts';
import { recordResponse } from './responses.ts';
import { voiceResponseThemes, voiceThemes } from './schema.ts';
import { loadWiganPlaces, sampleCampaign, wigan } from './testing.ts';

/*
 * Sample data in Wigan (E08000010), all placed by the postcode WN5 9AB:
 *   "Published listening (sample data)": 7 responses; 6 tagged "Somewhere to meet", 2 tagged "Litter".
 *   "Published assessment (sample data)": 3 responses (fewer than 5: no count, no compass).
 *   "Unpublished listening (sample data)": 6 responses, never shown on a profile.
 * Another organisation outside the partnership runs "Outsider campaign (sample data)".
 */
describe.each(engines)('what residents said, on profiles and as plan evidence, on %s', (engine) => {
  const h = useSeededApp(engine);
  let listening: Campaign;
  let assessment: Campaign;
  let unpublished: Campaign;
  let outsiderCampaign: Campaign;
  let meetTheme = '';
  let outsiderTheme = '';
  let partnershipId = '';
  let priorityId = '';

  const respond = async (c: Campaign, qs: Question[], n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const answers = Object.fromEntries(qs.filter((q) => q.kind === 'scale').slice(0, 1).map((q) => [q.id, { scale: 3 }]));
      const r = await recordResponse(h.database.db, c, qs, { answers, postcode: 'WN5 9AB', demographicsConsent: false }, { channel: 'volunteer' }, cliActor);
      if (r.status !== 'recorded') throw new Error(JSON.stringify(r));
      ids.push(r.id);
    }
    return ids;
  };

  beforeAll(async () => {
    const db = h.database.db;
    await loadBundledSteps(db, ['lookup.lsoa11-ward19-lad19', 'population.iod2019', 'edition.iod2019']);
    await loadWiganPlaces(db);
    const org = h.seed.organisationId;
    const l = await sampleCampaign(db, org, { title: 'Published listening (sample data)' });
    listening = l.campaign;
    const ids = await respond(listening, l.questions, 7);
    const [meet, litter] = await db.insert(voiceThemes).values([{ organisationId: org, name: 'Somewhere to meet' }, { organisationId: org, name: 'Litter' }]).returning({ id: voiceThemes.id });
    meetTheme = meet!.id;
    await db.insert(voiceResponseThemes).values([...ids.slice(0, 6).map((responseId) => ({ responseId, themeId: meet!.id })), ...ids.slice(0, 2).map((responseId) => ({ responseId, themeId: litter!.id }))]);
    await setPublished(db, listening, true, cliActor);

    const a = await sampleCampaign(db, org, { kind: 'place-standard', title: 'Published assessment (sample data)', questions: [] });
    assessment = a.campaign;
    await respond(assessment, a.questions, 3);
    await setPublished(db, assessment, true, cliActor);

    const u = await sampleCampaign(db, org, { title: 'Unpublished listening (sample data)' });
    unpublished = u.campaign;
    await respond(unpublished, u.questions, 6);

    const [other] = await db.insert(organisations).values({ slug: 'outside-org', name: 'Outside Organisation (sample data)', kind: 'vcse' }).returning({ id: organisations.id });
    outsiderCampaign = (await sampleCampaign(db, other!.id, { title: 'Outsider campaign (sample data)' })).campaign;
    outsiderTheme = (await db.insert(voiceThemes).values({ organisationId: other!.id, name: 'Outsider theme' }).returning({ id: voiceThemes.id }))[0]!.id;

    const [p] = await db.insert(partnerships).values({ name: 'Pemberton partnership (sample data)', leadOrganisationId: org }).returning({ id: partnerships.id });
    partnershipId = p!.id;
    await db.insert(partnershipOrganisations).values({ partnershipId, organisationId: org });
    priorityId = await createPriority(db, partnershipId, { title: 'Places to meet', description: '', aimId: '' }, cliActor);
  }, 300_000);

  it('lists published campaigns with responses in the area, suppressing small counts', async () => {
    const residents = await residentsSaid(h.database.db, { kind: 'lad25', code: wigan, name: 'Wigan' }, 5);
    expect(residents.campaigns.map((c) => c.title).sort()).toEqual(['Published assessment (sample data)', 'Published listening (sample data)']);
    const l = residents.campaigns.find((c) => c.id === listening.id)!;
    expect(l.responses).toBe('7');
    // Litter (2 responses) is below the threshold, so it is not listed at all.
    expect(l.themes).toEqual([{ name: 'Somewhere to meet', responses: 6 }]);
    const a = residents.campaigns.find((c) => c.id === assessment.id)!;
    expect(a.responses).toBe('fewer than 5');
    expect(a.compass).toBeNull();
    expect((await residentsSaid(h.database.db, { kind: 'lad25', code: 'E08000001', name: 'Bolton' }, 5)).campaigns).toEqual([]);
  });

  it('shows the section on the district profile, and says so where there is nothing', async () => {
    const page = await h.app.inject('/areas/E08000010');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('What residents said');
    expect(page.body).toContain('Published listening (sample data)');
    expect(page.body).toContain(`href="/voice/${listening.id}"`);
    expect(page.body).toContain('Somewhere to meet: 6 responses');
    expect(page.body).not.toContain('Litter');
    expect(page.body).toContain('fewer than 5');
    expect(page.body).not.toContain('Unpublished listening');
    const bolton = await h.app.inject('/areas/E08000001');
    expect(bolton.statusCode).toBe(200);
    expect(bolton.body).toContain('No published listening campaigns have responses here yet.');
    expect(bolton.body).toContain('href="/voice"');
  });

  it('shows a Place Standard compass for the area once enough people answered', async () => {
    await respond(assessment, await questionsOf(h.database.db, assessment.id), 2);
    const residents = await residentsSaid(h.database.db, { kind: 'lad25', code: wigan, name: 'Wigan' }, 5);
    const a = residents.campaigns.find((c) => c.id === assessment.id)!;
    expect(a.responses).toBe('5');
    // Each response rated the first theme (Moving around) 3.
    expect(a.compass!.rows[0]).toEqual({ label: 'Moving around', cells: [{ mean: '3.0', n: '5' }], change: null });
    expect(a.compass!.rows[1]!.cells[0]).toEqual({ mean: 'fewer than 5', n: 'fewer than 5' });
    expect(a.compass!.svg).toContain('role="img"');
  });

  it('links a campaign and theme of the partnership as evidence, refusing another organisation’s', async () => {
    const member = new Client(h.app);
    expect((await member.signIn(emailOf('member'))).statusCode).toBe(303);
    const url = `/partnerships/${partnershipId}/priorities/${priorityId}/evidence`;
    const form = await member.get(url);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Published listening (sample data) (');
    expect(form.body).not.toContain('Outsider campaign');
    expect(form.body).not.toContain('Outsider theme');

    const outside = await member.post(url, { kind: 'voice-theme', voiceCampaignId: outsiderCampaign.id, note: '' });
    expect(outside.statusCode).toBe(400);
    expect(outside.body).toContain('Choose a listening campaign run by one of the partnership’s organisations');
    const wrongTheme = await member.post(url, { kind: 'voice-theme', voiceCampaignId: listening.id, voiceThemeId: outsiderTheme });
    expect(wrongTheme.statusCode).toBe(400);
    expect(wrongTheme.body).toContain('Choose a theme of the organisation that ran the campaign, or no theme');
    const themeOnly = await member.post(url, { kind: 'voice-theme', voiceThemeId: meetTheme, note: 'words' });
    expect(themeOnly.statusCode).toBe(400);
    expect(themeOnly.body).toContain('Choose the campaign the theme comes from');
    expect(await h.database.db.select().from(priorityEvidence).where(eq(priorityEvidence.priorityId, priorityId))).toEqual([]);

    expect((await member.post(url, { kind: 'voice-theme', voiceCampaignId: listening.id, voiceThemeId: meetTheme, note: '' })).statusCode).toBe(303);
    expect((await member.post(url, { kind: 'voice-theme', voiceCampaignId: unpublished.id, note: '' })).statusCode).toBe(303);
    expect((await member.post(url, { kind: 'voice-theme', note: 'Sample data: buses stop too early' })).statusCode).toBe(303);
    const saved = await h.database.db.select().from(priorityEvidence).where(eq(priorityEvidence.priorityId, priorityId));
    expect(saved.map((e) => [e.voiceCampaignId, e.voiceThemeId, e.note]).sort()).toEqual(
      [
        [listening.id, meetTheme, null],
        [unpublished.id, null, null],
        [null, null, 'Sample data: buses stop too early'],
      ].sort(),
    );

    const plan = await member.get(`/partnerships/${partnershipId}/plan`);
    expect(plan.body).toContain(`What residents said: Somewhere to meet in <a class="govuk-link" href="/organisations/test-org/voice/${listening.id}/results">Published listening (sample data)</a> (6 responses)`);
    expect(plan.body).toContain(`<a class="govuk-link" href="/organisations/test-org/voice/${unpublished.id}/results">Unpublished listening (sample data)</a> (6 responses)`);
    expect(plan.body).toContain('What residents said: Sample data: buses stop too early');
  });
});
