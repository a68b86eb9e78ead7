import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { VoiceError, type Campaign, type Question } from './campaigns.ts';
import { cleanText, maxAnswer } from './responses.ts';
import { voiceAnswers, voiceResponses, voiceResponseThemes, voiceThemes } from './schema.ts';
import type { ResponseText } from './text-analysis.ts';

/**
 * An organisation's themes (one shared list for all its campaigns), tagging responses with them, and marking
 * answers fit to publish. A theme's name is unique in its organisation whatever its capitals, so "Parks" and
 * "parks" cannot both be offered. Removing a theme untags every response that had it.
 */

export const maxThemeName = 100;
export const maxThemeDescription = 500;

export type Theme = typeof voiceThemes.$inferSelect;
export type ThemeWithCount = Theme & { responses: number };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (id: string) => uuidPattern.test(id);

/** The organisation's themes by name, with how many responses (in any of its campaigns) each is on. */
export async function themesOf(db: Tx, organisationId: string, campaignId?: string): Promise<ThemeWithCount[]> {
  const inCampaign = campaignId ? sql` and r.campaign_id = ${campaignId}` : sql``;
  const rows = await db
    .select({
      theme: voiceThemes,
      responses: sql<number>`(select count(distinct t.response_id)::int from voice_response_themes t join voice_responses r on r.id = t.response_id where t.theme_id = voice_themes.id${inCampaign})`,
    })
    .from(voiceThemes)
    .where(eq(voiceThemes.organisationId, organisationId))
    .orderBy(asc(sql`lower(${voiceThemes.name})`));
  return rows.map((r) => ({ ...r.theme, responses: Number(r.responses) }));
}

export async function getTheme(db: Tx, organisationId: string, themeId: string): Promise<Theme | null> {
  if (!isUuid(themeId)) return null;
  const [row] = await db.select().from(voiceThemes).where(and(eq(voiceThemes.id, themeId), eq(voiceThemes.organisationId, organisationId)));
  return row ?? null;
}

export type ThemeInput = { name: string; description?: string | null };

function checkTheme(input: ThemeInput): { name: string; description: string | null } {
  const name = (cleanText(input.name) ?? '').replace(/\s+/g, ' ');
  const description = cleanText(input.description);
  if (!name) throw new VoiceError('Enter a name for the theme', 'name');
  if (name.length > maxThemeName) throw new VoiceError(`The theme’s name must be ${maxThemeName} characters or fewer`, 'name');
  if (description && description.length > maxThemeDescription) throw new VoiceError(`The description must be ${maxThemeDescription} characters or fewer`, 'description');
  return { name, description };
}

async function refuseDuplicate(tx: Tx, organisationId: string, name: string, exceptId: string | null): Promise<void> {
  const [same] = await queryRows<{ id: string; name: string }>(
    tx,
    sql`select id, name from voice_themes where organisation_id = ${organisationId} and lower(name) = lower(${name})${exceptId ? sql` and id <> ${exceptId}` : sql``}`,
  );
  if (same) throw new VoiceError(`There is already a theme called “${same.name}”: choose a different name, or use that theme`, 'name', 409);
}

async function insertTheme(tx: Tx, organisationId: string, input: ThemeInput, actor: Actor): Promise<Theme> {
  const checked = checkTheme(input);
  await refuseDuplicate(tx, organisationId, checked.name, null);
  const [row] = await tx.insert(voiceThemes).values({ organisationId, ...checked }).returning();
  await recordAudit(tx, { actor, action: 'voice.theme.added', objectType: 'voice_theme', objectId: row!.id, organisationId, details: { name: checked.name } });
  return row!;
}

/** Two people adding the same name at once: the unique index refuses the second, which gets the usual message. */
function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } } | null;
  return e?.code === '23505' || e?.cause?.code === '23505';
}

async function onceUnique<T>(work: () => Promise<T>, name: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUniqueViolation(error)) throw new VoiceError(`There is already a theme called “${name.trim()}”: choose a different name, or use that theme`, 'name', 409);
    throw error;
  }
}

export async function addTheme(db: Db, organisationId: string, input: ThemeInput, actor: Actor): Promise<Theme> {
  return onceUnique(() => db.transaction((tx) => insertTheme(tx, organisationId, input, actor)), input.name);
}

export async function editTheme(db: Db, organisationId: string, themeId: string, input: ThemeInput, actor: Actor): Promise<Theme> {
  return onceUnique(() => editThemeOnce(db, organisationId, themeId, input, actor), input.name);
}

async function editThemeOnce(db: Db, organisationId: string, themeId: string, input: ThemeInput, actor: Actor): Promise<Theme> {
  return db.transaction(async (tx) => {
    const theme = await getTheme(tx, organisationId, themeId);
    if (!theme) throw new VoiceError('That theme is not in your organisation’s list', 'theme', 404);
    const checked = checkTheme(input);
    await refuseDuplicate(tx, organisationId, checked.name, theme.id);
    const [row] = await tx.update(voiceThemes).set(checked).where(eq(voiceThemes.id, theme.id)).returning();
    await recordAudit(tx, { actor, action: 'voice.theme.changed', objectType: 'voice_theme', objectId: theme.id, organisationId, details: { from: theme.name, to: checked.name } });
    return row!;
  });
}

/** Removes a theme and with it every tag of it; says how many responses were untagged. */
export async function removeTheme(db: Db, organisationId: string, themeId: string, actor: Actor): Promise<{ name: string; untagged: number }> {
  return db.transaction(async (tx) => {
    const theme = await getTheme(tx, organisationId, themeId);
    if (!theme) throw new VoiceError('That theme is not in your organisation’s list', 'theme', 404);
    const untagged = (await tx.delete(voiceResponseThemes).where(eq(voiceResponseThemes.themeId, theme.id)).returning({ id: voiceResponseThemes.responseId })).length;
    await tx.delete(voiceThemes).where(eq(voiceThemes.id, theme.id));
    await recordAudit(tx, { actor, action: 'voice.theme.removed', objectType: 'voice_theme', objectId: theme.id, organisationId, details: { name: theme.name, untagged } });
    return { name: theme.name, untagged };
  });
}

// ---- One response ---------------------------------------------------------------------------------------------

export type AnswerForTagging = {
  questionId: string;
  position: number;
  prompt: string;
  kind: Question['kind'];
  /** The answer as shown: text, the choices, or the number on the scale. */
  answer: string | null;
  /** The free text a quote could come from: a text answer, or the comment on a choice or scale answer. */
  words: string | null;
  wordsAreComment: boolean;
  publishable: boolean;
  quote: string | null;
};

export type ResponseForTagging = { id: string; answeredAt: Date; channel: string; answers: AnswerForTagging[]; themeIds: string[] };

export async function responseForTagging(db: Tx, campaign: Campaign, questions: Question[], responseId: string): Promise<ResponseForTagging | null> {
  if (!isUuid(responseId)) return null;
  const [response] = await db.select({ id: voiceResponses.id, answeredAt: voiceResponses.answeredAt, channel: voiceResponses.channel }).from(voiceResponses).where(and(eq(voiceResponses.id, responseId), eq(voiceResponses.campaignId, campaign.id)));
  if (!response) return null;
  const answers = await db.select().from(voiceAnswers).where(eq(voiceAnswers.responseId, response.id));
  const byQuestion = new Map(answers.map((a) => [a.questionId, a]));
  const themeIds = (await db.select({ id: voiceResponseThemes.themeId }).from(voiceResponseThemes).where(eq(voiceResponseThemes.responseId, response.id))).map((t) => t.id);
  return {
    ...response,
    themeIds,
    answers: questions.flatMap((q) => {
      const a = byQuestion.get(q.id);
      if (!a) return [];
      const answer = q.kind === 'text' ? a.text : q.kind === 'scale' ? (a.scale === null ? null : String(a.scale)) : (a.choices ?? []).join('; ') || null;
      const words = q.kind === 'text' ? a.text : a.comment;
      return [{ questionId: q.id, position: q.position, prompt: q.prompt, kind: q.kind, answer, words, wordsAreComment: q.kind !== 'text', publishable: a.publishable, quote: a.quote }];
    }),
  };
}

export type TaggingInput = {
  themeIds: string[];
  /** A theme to add to the list and tag this response with, in the same go. */
  newTheme?: string | null;
  /** By question id: whether the answer's words may be published, and the words to publish if trimmed. */
  publish: Record<string, { publishable: boolean; quote: string | null }>;
};

/** Replaces the response's themes and publishable marks in one go. */
export async function saveTagging(db: Db, campaign: Campaign, responseId: string, input: TaggingInput, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    const [response] = isUuid(responseId) ? await tx.select({ id: voiceResponses.id }).from(voiceResponses).where(and(eq(voiceResponses.id, responseId), eq(voiceResponses.campaignId, campaign.id))) : [];
    if (!response) throw new VoiceError('That response is not in this campaign', 'form', 404);
    const wanted = [...new Set(input.themeIds)];
    const known = wanted.length ? await tx.select({ id: voiceThemes.id }).from(voiceThemes).where(and(eq(voiceThemes.organisationId, campaign.organisationId), inArray(voiceThemes.id, wanted.filter(isUuid)))) : [];
    if (known.length !== wanted.length) throw new VoiceError('Choose themes from the list: one of them has been removed, so reload the page', 'themes');

    for (const [questionId, mark] of Object.entries(input.publish)) {
      const quote = cleanText(mark.quote);
      if (quote && quote.length > maxAnswer) throw new VoiceError(`The words to publish must be ${maxAnswer} characters or fewer`, `quote-${questionId}`);
    }
    const themeIds = known.map((k) => k.id);
    const newName = cleanText(input.newTheme);
    if (newName) {
      // A name already on the list is that theme, whatever its capitals: tag with it rather than refuse.
      const [same] = await queryRows<{ id: string }>(tx, sql`select id from voice_themes where organisation_id = ${campaign.organisationId} and lower(name) = lower(${newName.replace(/\s+/g, ' ')})`);
      if (same) themeIds.push(same.id);
      else {
        try {
          themeIds.push((await insertTheme(tx, campaign.organisationId, { name: newName }, actor)).id);
        } catch (error) {
          if (error instanceof VoiceError) throw new VoiceError(error.message.replace('The theme’s name', 'The new theme’s name'), 'new-theme');
          throw error;
        }
      }
    }
    const unique = [...new Set(themeIds)];
    themeIds.length = 0;
    themeIds.push(...unique);

    await tx.delete(voiceResponseThemes).where(eq(voiceResponseThemes.responseId, response.id));
    if (themeIds.length) await tx.insert(voiceResponseThemes).values(themeIds.map((themeId) => ({ responseId: response.id, themeId, taggedBy: actor.userId })));

    const answers = await tx.select({ questionId: voiceAnswers.questionId, text: voiceAnswers.text, comment: voiceAnswers.comment }).from(voiceAnswers).where(eq(voiceAnswers.responseId, response.id));
    let publishable = 0;
    for (const a of answers) {
      if (!a.text && !a.comment) continue;
      const mark = input.publish[a.questionId] ?? { publishable: false, quote: null };
      if (mark.publishable) publishable++;
      await tx
        .update(voiceAnswers)
        .set({ publishable: mark.publishable, quote: cleanText(mark.quote), markedBy: actor.userId })
        .where(and(eq(voiceAnswers.responseId, response.id), eq(voiceAnswers.questionId, a.questionId)));
    }
    await recordAudit(tx, {
      actor,
      action: 'voice.response.tagged',
      objectType: 'voice_response',
      objectId: response.id,
      organisationId: campaign.organisationId,
      details: { campaign: campaign.id, themes: themeIds.length, publishable },
    });
  });
}

/** The oldest response in the campaign with no theme yet, other than the one named. */
export async function nextUntagged(db: Tx, campaignId: string, exceptId: string | null = null): Promise<string | null> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`select r.id from voice_responses r where r.campaign_id = ${campaignId}
        and not exists (select 1 from voice_response_themes t where t.response_id = r.id)
        ${exceptId && isUuid(exceptId) ? sql`and r.id <> ${exceptId}` : sql``}
        order by r.answered_at, r.received_at, r.id limit 1`,
  );
  return row?.id ?? null;
}

export async function untaggedCount(db: Tx, campaignId: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from voice_responses r where r.campaign_id = ${campaignId} and not exists (select 1 from voice_response_themes t where t.response_id = r.id)`);
  return Number(row?.n ?? 0);
}

// ---- Many responses ---------------------------------------------------------------------------------------------

/** Every free-text answer and comment in the campaign, by response: what suggested themes are worked out from. */
export async function campaignTexts(db: Tx, campaignId: string): Promise<ResponseText[]> {
  const rows = await queryRows<{ response_id: string; text: string | null; comment: string | null }>(
    db,
    sql`select a.response_id, a.text, a.comment from voice_answers a join voice_responses r on r.id = a.response_id
        join voice_questions q on q.id = a.question_id
        where r.campaign_id = ${campaignId} and (a.text is not null or a.comment is not null)
        order by r.answered_at, r.id, q.position`,
  );
  return rows.flatMap((r) => [r.text, r.comment].filter((t): t is string => !!t).map((text) => ({ responseId: r.response_id, text })));
}

/** Tags the responses with the theme (those already tagged stay as they are); says how many were newly tagged. */
export async function tagMany(db: Db, campaign: Campaign, themeId: string, responseIds: string[], why: string, actor: Actor): Promise<{ theme: string; tagged: number }> {
  return db.transaction(async (tx) => {
    const theme = await getTheme(tx, campaign.organisationId, themeId);
    if (!theme) throw new VoiceError('Choose a theme from the list', 'themeId');
    const ids = responseIds.filter(isUuid);
    const inCampaign = ids.length ? await tx.select({ id: voiceResponses.id }).from(voiceResponses).where(and(eq(voiceResponses.campaignId, campaign.id), inArray(voiceResponses.id, ids))) : [];
    const added = inCampaign.length
      ? await tx
          .insert(voiceResponseThemes)
          .values(inCampaign.map((r) => ({ responseId: r.id, themeId: theme.id, taggedBy: actor.userId })))
          .onConflictDoNothing()
          .returning({ id: voiceResponseThemes.responseId })
      : [];
    await recordAudit(tx, {
      actor,
      action: 'voice.responses.tagged',
      objectType: 'voice_campaign',
      objectId: campaign.id,
      organisationId: campaign.organisationId,
      details: { theme: theme.name, matching: why, responses: inCampaign.length, newlyTagged: added.length },
    });
    return { theme: theme.name, tagged: added.length };
  });
}
