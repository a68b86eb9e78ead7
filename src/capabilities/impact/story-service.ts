import { and, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { linkDateErrors, pastDate } from '../../platform/web/dates.ts';
import { formProblems, text, texts, type Form } from '../../platform/web/forms.ts';
import { impactStories, impactStoryAreas, impactStoryOutcomes, storyConsents, type StoryConsent } from './schema.ts';
import { storiesFor, type StoryView } from './stories.ts';
import { isUuid, type Checked } from './web.ts';

/**
 * Writing stories: what a partnership member types, checked against the partnership's own outcomes and places, and
 * the rule that a story is public only while the person it is about consents (the database refuses it too).
 */

export const storyLimits = { title: 200, body: 10_000, quote: 1_000 } as const;

export const consentText: Record<StoryConsent, string> = {
  given: 'Yes, they gave consent to publish',
  'not-asked': 'Not asked yet',
  refused: 'They refused',
};

/** What a story may be tagged with: the partnership's outcomes, and its wards, their districts and its neighbourhoods. */
export type StoryChoices = {
  outcomes: { id: string; title: string }[];
  areas: { vintage: string; code: string; name: string; kind: 'ward' | 'district' | 'neighbourhood' }[];
};

/** How an area is posted from a checkbox: vintage and code in one value. */
export const areaValue = (a: { vintage: string; code: string }) => `${a.vintage}:${a.code}`;

export async function storyChoices(db: Tx, partnershipId: string): Promise<StoryChoices> {
  const [outcomes, areas] = await Promise.all([
    queryRows<{ id: string; title: string }>(db, sql`select id, title from impact_outcomes where partnership_id = ${partnershipId} order by position, title`),
    // Districts come from the lookups: directly (ward25 → lad25) or through the LSOAs a ward is made of (ward19 via lsoa11),
    // always the district vintage of the ward's own year, so the code matches area pages of the same edition.
    queryRows<{ kind: 'ward' | 'district' | 'neighbourhood'; vintage: string; code: string; name: string }>(
      db,
      sql`select 'ward' as kind, pa.area_vintage as vintage, pa.area_code as code, coalesce(a.name, pa.area_code) as name
            from partnership_areas pa left join areas a on a.vintage = pa.area_vintage and a.code = pa.area_code
            where pa.partnership_id = ${partnershipId} and pa.area_code is not null
          union
          select 'district', l.vintage, l.code, coalesce(a.name, l.code)
            from partnership_areas pa
            cross join lateral (
              select k.to_vintage as vintage, k.to_code as code from area_lookups k
                where k.from_vintage = pa.area_vintage and k.from_code = pa.area_code and k.to_vintage = 'lad' || substr(pa.area_vintage, 5)
              union
              select d.to_vintage, d.to_code from area_lookups w
                join area_lookups d on d.from_vintage = w.from_vintage and d.from_code = w.from_code and d.to_vintage = 'lad' || substr(pa.area_vintage, 5)
                where w.to_vintage = pa.area_vintage and w.to_code = pa.area_code
            ) l
            left join areas a on a.vintage = l.vintage and a.code = l.code
            where pa.partnership_id = ${partnershipId} and pa.area_code is not null
          union
          select 'neighbourhood', 'neighbourhood', n.id::text, n.name
            from partnership_areas pa join neighbourhoods n on n.id = pa.neighbourhood_id
            where pa.partnership_id = ${partnershipId}`,
    ),
  ]);
  const order = { ward: 0, district: 1, neighbourhood: 2 };
  return { outcomes, areas: areas.sort((a, b) => order[a.kind] - order[b.kind] || a.name.localeCompare(b.name)) };
}

/** On edit, a place the story is already tagged with stays offered even if the partnership no longer covers it. */
export function withStoryAreas(choices: StoryChoices, story: StoryView): StoryChoices {
  const extra = story.areas.filter((a) => !choices.areas.some((c) => c.vintage === a.vintage && c.code === a.code));
  return { ...choices, areas: [...choices.areas, ...extra.map((a) => ({ ...a, kind: a.vintage === 'neighbourhood' ? ('neighbourhood' as const) : a.vintage.startsWith('lad') ? ('district' as const) : ('ward' as const) }))] };
}

export type StoryInput = Pick<StoryView, 'toldOn' | 'title' | 'body' | 'quote' | 'consent' | 'consentOn' | 'sample'> & { outcomeIds: string[]; areas: { vintage: string; code: string }[] };


export function readStoryForm(form: Form, today: string, choices: StoryChoices): Checked<StoryInput> {
  const { errors, fail } = formProblems();
  const toldOn = pastDate(form, 'toldOn', 'the story was told', today, fail);
  const title = text(form, 'title').trim();
  if (!title) fail('title', 'Enter a title for the story');
  else if (title.length > storyLimits.title) fail('title', `The title must be ${storyLimits.title} characters or fewer`);
  const body = text(form, 'body').trim();
  if (!body) fail('body', 'Enter the story: what happened and what changed');
  else if (body.length > storyLimits.body) fail('body', `The story must be ${storyLimits.body.toLocaleString('en-GB')} characters or fewer`);
  const quote = text(form, 'quote').trim();
  if (quote.length > storyLimits.quote) fail('quote', `The quote must be ${storyLimits.quote.toLocaleString('en-GB')} characters or fewer`);
  const consent = text(form, 'consent');
  const knownConsent = (storyConsents as readonly string[]).includes(consent);
  if (!knownConsent) fail('consent', 'Choose whether they gave consent to publish the story');
  // The date they answered: needed when they said yes (it is what publishing rests on), allowed when they said no,
  // and meaningless when nobody has asked.
  let consentOn: string | null = null;
  if (consent === 'not-asked') {
    if (['day', 'month', 'year'].some((p) => text(form, `consentOn-${p}`).trim())) fail('consentOn', 'Leave the consent date empty when they have not been asked yet');
  } else if (knownConsent) {
    consentOn = pastDate(form, 'consentOn', consent === 'given' ? 'they gave consent' : 'they refused', today, fail, { required: consent === 'given' });
    // Consent is to publish an account already told, so it cannot come before the telling.
    if (consentOn && toldOn && consentOn < toldOn) fail('consentOn', 'The consent date must be on or after the date the story was told');
  }
  const outcomeIds = [...new Set(texts(form, 'outcomes'))];
  if (outcomeIds.some((id) => !choices.outcomes.some((o) => o.id === id))) fail('outcomes', 'Choose outcomes from this partnership’s list');
  const areaValues = [...new Set(texts(form, 'areas'))];
  const areas = choices.areas.filter((a) => areaValues.includes(areaValue(a)));
  if (areas.length !== areaValues.length) fail('areas', 'Choose places from this partnership’s list');
  if (errors.summary.length || !toldOn) return { ok: false, errors: linkDateErrors(errors, ['toldOn', 'consentOn']) };
  return {
    ok: true,
    input: { toldOn, title, body, quote: quote || null, consent: consent as StoryConsent, consentOn, outcomeIds, areas: areas.map((a) => ({ vintage: a.vintage, code: a.code })), sample: text(form, 'sample') === 'yes' },
  };
}

/** The story, when it is this partnership's: routes answer 404 for anyone else's. */
export async function storyOf(db: Tx, partnershipId: string, storyId: string): Promise<StoryView | null> {
  if (!isUuid(storyId)) return null;
  const [story] = await storiesFor(db, { partnershipId, storyId, publishedOnly: false }, 1);
  return story ?? null;
}

async function writeTags(tx: Tx, storyId: string, input: StoryInput) {
  await tx.delete(impactStoryOutcomes).where(eq(impactStoryOutcomes.storyId, storyId));
  await tx.delete(impactStoryAreas).where(eq(impactStoryAreas.storyId, storyId));
  if (input.outcomeIds.length) await tx.insert(impactStoryOutcomes).values(input.outcomeIds.map((outcomeId) => ({ storyId, outcomeId })));
  if (input.areas.length) await tx.insert(impactStoryAreas).values(input.areas.map((a) => ({ storyId, vintage: a.vintage, code: a.code })));
}

/** The audit keeps ids, dates and choices, never the account or quote: the person it is about may be named in them. */
const auditDetails = (partnershipId: string, input: StoryInput) => ({ partnershipId, toldOn: input.toldOn, consent: input.consent, outcomes: input.outcomeIds.length, areas: input.areas.map(areaValue), sample: input.sample });

export async function createStory(db: Db, partnershipId: string, input: StoryInput, actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(impactStories)
      .values({ partnershipId, toldOn: input.toldOn, title: input.title, body: input.body, quote: input.quote, consent: input.consent, consentOn: input.consentOn, sample: input.sample, createdBy: actor.userId })
      .returning({ id: impactStories.id });
    await writeTags(tx, row!.id, input);
    await recordAudit(tx, { actor, action: 'impact.story.created', objectType: 'impact-story', objectId: row!.id, details: auditDetails(partnershipId, input) });
    return row!.id;
  });
}

/** Saves the story; a published story whose consent is no longer given (or no longer dated) stops being published. */
export async function updateStory(db: Db, partnershipId: string, storyId: string, input: StoryInput, actor: Actor): Promise<{ unpublished: boolean } | null> {
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ published: impactStories.published })
      .from(impactStories)
      .where(and(eq(impactStories.id, storyId), eq(impactStories.partnershipId, partnershipId)))
      .for('update');
    if (!before) return null;
    const unpublished = before.published && !(input.consent === 'given' && input.consentOn);
    await tx
      .update(impactStories)
      .set({ toldOn: input.toldOn, title: input.title, body: input.body, quote: input.quote, consent: input.consent, consentOn: input.consentOn, sample: input.sample, published: before.published && !unpublished, updatedAt: new Date() })
      .where(eq(impactStories.id, storyId));
    await writeTags(tx, storyId, input);
    await recordAudit(tx, { actor, action: 'impact.story.updated', objectType: 'impact-story', objectId: storyId, details: { ...auditDetails(partnershipId, input), unpublished } });
    return { unpublished };
  });
}

export type PublishOutcome = 'published' | 'unpublished' | 'unchanged' | 'no-consent' | 'not-found';

export async function setStoryPublished(db: Db, partnershipId: string, storyId: string, published: boolean, actor: Actor): Promise<PublishOutcome> {
  return db.transaction(async (tx) => {
    const [story] = await tx
      .select({ published: impactStories.published, consent: impactStories.consent, consentOn: impactStories.consentOn })
      .from(impactStories)
      .where(and(eq(impactStories.id, storyId), eq(impactStories.partnershipId, partnershipId)))
      .for('update');
    if (!story) return 'not-found';
    if (story.published === published) return 'unchanged';
    if (published && !(story.consent === 'given' && story.consentOn)) return 'no-consent';
    await tx.update(impactStories).set({ published, updatedAt: new Date() }).where(eq(impactStories.id, storyId));
    await recordAudit(tx, { actor, action: published ? 'impact.story.published' : 'impact.story.unpublished', objectType: 'impact-story', objectId: storyId, details: { partnershipId } });
    return published ? 'published' : 'unpublished';
  });
}

export async function deleteStory(db: Db, partnershipId: string, storyId: string, actor: Actor): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [gone] = await tx
      .delete(impactStories)
      .where(and(eq(impactStories.id, storyId), eq(impactStories.partnershipId, partnershipId)))
      .returning({ id: impactStories.id, published: impactStories.published });
    if (!gone) return false;
    await recordAudit(tx, { actor, action: 'impact.story.deleted', objectType: 'impact-story', objectId: storyId, details: { partnershipId, wasPublished: gone.published } });
    return true;
  });
}
