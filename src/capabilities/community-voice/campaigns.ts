import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { voiceCampaigns, voiceQuestions } from './schema.ts';
import { campaignKinds, campaignStatuses, placeStandardScale, placeStandardThemes, questionKinds, type CampaignKind, type CampaignStatus, type QuestionKind } from './vocabulary.ts';

/**
 * Campaigns and their questions. A Place Standard campaign is made with the tool's 14 themes as its first
 * questions (each rated 1–7 with room for a comment); any campaign may ask questions of its own after them.
 */

export const maxTitle = 150;
export const maxSummary = 3000;
export const maxPrompt = 500;
export const maxHint = 1000;
export const maxOptions = 20;
export const maxOption = 200;
export const maxQuestions = 60;

/** A refusal naming the form field it is about and the HTTP status it deserves. */
export class VoiceError extends Error {
  constructor(
    message: string,
    public readonly field: string,
    public readonly status: 400 | 403 | 404 | 409 = 400,
  ) {
    super(message);
    this.name = 'VoiceError';
  }
}

export type Campaign = typeof voiceCampaigns.$inferSelect & { organisationSlug: string; organisationName: string };
export type Question = typeof voiceQuestions.$inferSelect;

export type NewQuestion = {
  kind: QuestionKind;
  prompt: string;
  hint?: string | null;
  options?: string[] | null;
  scaleMin?: number | null;
  scaleMax?: number | null;
  scaleMinLabel?: string | null;
  scaleMaxLabel?: string | null;
  required?: boolean;
  withComment?: boolean;
};

export type NewCampaign = {
  organisationId: string;
  title: string;
  summary: string | null;
  kind: CampaignKind;
  lad25: string | null;
  acceptsPublic: boolean;
  opensOn: string | null;
  closesOn: string | null;
  repeatOfId?: string | null;
  sample?: boolean;
  /** Questions of its own; a Place Standard campaign's 14 come first without being listed here. */
  questions: NewQuestion[];
};

const isoDate = /^\d{4}-\d{2}-\d{2}$/;

/** What is wrong with a question, or null: the first problem, in words for the person who wrote it. */
export function checkQuestion(q: NewQuestion): { field: string; message: string } | null {
  if (!questionKinds.includes(q.kind)) return { field: 'kind', message: 'Choose what kind of answer the question wants' };
  const prompt = q.prompt.trim();
  if (!prompt) return { field: 'prompt', message: 'Enter the question' };
  if (prompt.length > maxPrompt) return { field: 'prompt', message: `The question must be ${maxPrompt} characters or fewer` };
  if ((q.hint ?? '').length > maxHint) return { field: 'hint', message: `The hint must be ${maxHint} characters or fewer` };
  if (q.kind === 'choice' || q.kind === 'multiple-choice') {
    const options = (q.options ?? []).map((o) => o.trim()).filter(Boolean);
    if (options.length < 2) return { field: 'options', message: 'Give at least two answers to choose from, one on each line' };
    if (options.length > maxOptions) return { field: 'options', message: `Give at most ${maxOptions} answers to choose from` };
    if (options.some((o) => o.length > maxOption)) return { field: 'options', message: `Each answer must be ${maxOption} characters or fewer` };
    if (new Set(options.map((o) => o.toLowerCase())).size !== options.length) return { field: 'options', message: 'Each answer to choose from must be different' };
  }
  if (q.kind === 'scale') {
    const { scaleMin: min, scaleMax: max } = q;
    if (min == null || max == null || !Number.isInteger(min) || !Number.isInteger(max)) return { field: 'scaleMin', message: 'Enter the lowest and highest points of the scale as whole numbers' };
    if (min >= max) return { field: 'scaleMax', message: 'The highest point of the scale must be more than the lowest' };
    if (min < 0 || max > 10) return { field: 'scaleMin', message: 'A scale runs within 0 to 10' };
  }
  return null;
}

function questionRow(campaignId: string, position: number, q: NewQuestion) {
  const choice = q.kind === 'choice' || q.kind === 'multiple-choice';
  const scale = q.kind === 'scale';
  return {
    campaignId,
    position,
    kind: q.kind,
    prompt: q.prompt.trim(),
    hint: q.hint?.trim() || null,
    options: choice ? (q.options ?? []).map((o) => o.trim()).filter(Boolean) : null,
    scaleMin: scale ? q.scaleMin! : null,
    scaleMax: scale ? q.scaleMax! : null,
    scaleMinLabel: scale ? q.scaleMinLabel?.trim() || null : null,
    scaleMaxLabel: scale ? q.scaleMaxLabel?.trim() || null : null,
    required: q.required ?? false,
    withComment: q.kind !== 'text' && (q.withComment ?? false),
  };
}

export async function checkCampaign(tx: Tx, input: NewCampaign): Promise<void> {
  const title = input.title.trim();
  if (!title) throw new VoiceError('Enter a title for the campaign', 'title');
  if (title.length > maxTitle) throw new VoiceError(`The title must be ${maxTitle} characters or fewer`, 'title');
  if ((input.summary ?? '').length > maxSummary) throw new VoiceError(`The summary must be ${maxSummary} characters or fewer`, 'summary');
  if (!campaignKinds.includes(input.kind)) throw new VoiceError('Choose what kind of campaign this is', 'kind');
  for (const [field, value] of [['opensOn', input.opensOn], ['closesOn', input.closesOn]] as const) {
    if (value !== null && (!isoDate.test(value) || Number.isNaN(Date.parse(value)))) throw new VoiceError('Enter a real date', field);
  }
  if (input.opensOn && input.closesOn && input.closesOn < input.opensOn) throw new VoiceError('The closing date must be on or after the opening date', 'closesOn');
  if (input.lad25 !== null) {
    const [found] = await queryRows<{ code: string }>(tx, sql`select code from areas where vintage = 'lad25' and code = ${input.lad25}`);
    if (!found) throw new VoiceError(`${input.lad25} is not a 2025 local authority district Patchwork knows`, 'lad25');
  }
  if (input.repeatOfId) {
    const [earlier] = await tx.select({ organisationId: voiceCampaigns.organisationId, kind: voiceCampaigns.kind }).from(voiceCampaigns).where(eq(voiceCampaigns.id, input.repeatOfId));
    if (!earlier || earlier.organisationId !== input.organisationId) throw new VoiceError('Choose one of your organisation’s earlier campaigns', 'repeatOfId');
    if (earlier.kind !== input.kind) throw new VoiceError('A repeat must be the same kind of campaign as the one it repeats', 'repeatOfId');
  }
  if (input.questions.length > maxQuestions) throw new VoiceError(`A campaign may ask at most ${maxQuestions} questions`, 'questions');
  input.questions.forEach((q, i) => {
    const problem = checkQuestion(q);
    if (problem) throw new VoiceError(`Question ${i + 1}: ${problem.message}`, 'questions');
  });
}

export async function createCampaign(db: Db, input: NewCampaign, actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    await checkCampaign(tx, input);
    const [row] = await tx
      .insert(voiceCampaigns)
      .values({
        organisationId: input.organisationId,
        title: input.title.trim(),
        summary: input.summary?.trim() || null,
        kind: input.kind,
        lad25: input.lad25,
        acceptsPublic: input.acceptsPublic,
        opensOn: input.opensOn,
        closesOn: input.closesOn,
        repeatOfId: input.repeatOfId ?? null,
        sample: input.sample ?? false,
        createdBy: actor.userId,
      })
      .returning({ id: voiceCampaigns.id });
    const id = row!.id;
    const standard: NewQuestion[] =
      input.kind === 'place-standard'
        ? placeStandardThemes.map((t) => ({ kind: 'scale', prompt: `${t.label}: ${t.question}`, scaleMin: placeStandardScale.min, scaleMax: placeStandardScale.max, scaleMinLabel: placeStandardScale.minLabel, scaleMaxLabel: placeStandardScale.maxLabel, withComment: true }))
        : [];
    const all = [...standard, ...input.questions];
    if (all.length) {
      await tx.insert(voiceQuestions).values(
        all.map((q, i) => ({ ...questionRow(id, i + 1, q), placeStandardTheme: i < standard.length ? placeStandardThemes[i]!.key : null })),
      );
    }
    await recordAudit(tx, { actor, action: 'voice.campaign.created', objectType: 'voice_campaign', objectId: id, organisationId: input.organisationId, details: { title: input.title.trim(), kind: input.kind } });
    return id;
  });
}

/** Adds a question at the end. Questions are not removed once anyone has answered (their answers would go with them). */
export async function addQuestion(db: Db, campaign: Campaign, q: NewQuestion, actor: Actor): Promise<string> {
  const problem = checkQuestion(q);
  if (problem) throw new VoiceError(problem.message, problem.field);
  return db.transaction(async (tx) => {
    const [{ n }] = (await queryRows<{ n: number }>(tx, sql`select coalesce(max(position), 0)::int as n from ${voiceQuestions} where campaign_id = ${campaign.id}`)) as [{ n: number }];
    if (n >= maxQuestions) throw new VoiceError(`A campaign may ask at most ${maxQuestions} questions`, 'prompt');
    const [row] = await tx.insert(voiceQuestions).values(questionRow(campaign.id, n + 1, q)).returning({ id: voiceQuestions.id });
    await touch(tx, campaign.id);
    await recordAudit(tx, { actor, action: 'voice.question.added', objectType: 'voice_campaign', objectId: campaign.id, organisationId: campaign.organisationId, details: { prompt: q.prompt.trim() } });
    return row!.id;
  });
}

export async function touch(tx: Tx, campaignId: string): Promise<void> {
  await tx.update(voiceCampaigns).set({ updatedAt: new Date() }).where(eq(voiceCampaigns.id, campaignId));
}

const campaignColumns = { campaign: voiceCampaigns, organisationSlug: organisations.slug, organisationName: organisations.name };

export async function getCampaign(db: Tx, id: string): Promise<Campaign | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
  const [row] = await db.select(campaignColumns).from(voiceCampaigns).innerJoin(organisations, eq(organisations.id, voiceCampaigns.organisationId)).where(eq(voiceCampaigns.id, id));
  return row ? { ...row.campaign, organisationSlug: row.organisationSlug, organisationName: row.organisationName } : null;
}

/** An organisation's campaigns, newest first. */
export async function campaignsOf(db: Tx, organisationId: string): Promise<(Campaign & { responses: number })[]> {
  const rows = await db
    .select({ ...campaignColumns, responses: sql<number>`(select count(*)::int from voice_responses r where r.campaign_id = ${voiceCampaigns.id})` })
    .from(voiceCampaigns)
    .innerJoin(organisations, eq(organisations.id, voiceCampaigns.organisationId))
    .where(eq(voiceCampaigns.organisationId, organisationId))
    .orderBy(desc(voiceCampaigns.createdAt));
  return rows.map((r) => ({ ...r.campaign, organisationSlug: r.organisationSlug, organisationName: r.organisationName, responses: Number(r.responses) }));
}

export async function questionsOf(db: Tx, campaignId: string): Promise<Question[]> {
  return db.select().from(voiceQuestions).where(eq(voiceQuestions.campaignId, campaignId)).orderBy(asc(voiceQuestions.position));
}

/** Whether a campaign takes responses today: open, and within its dates when it has them. */
export function isAccepting(campaign: Pick<Campaign, 'status' | 'opensOn' | 'closesOn'>, today = new Date().toISOString().slice(0, 10)): boolean {
  if (campaign.status !== 'open') return false;
  if (campaign.opensOn && today < campaign.opensOn) return false;
  if (campaign.closesOn && today > campaign.closesOn) return false;
  return true;
}

export async function setStatus(db: Db, campaign: Campaign, status: CampaignStatus, actor: Actor): Promise<void> {
  if (!campaignStatuses.includes(status)) throw new VoiceError('Choose open, closed or draft', 'status');
  await db.transaction(async (tx) => {
    await tx.update(voiceCampaigns).set({ status, updatedAt: new Date() }).where(and(eq(voiceCampaigns.id, campaign.id)));
    await recordAudit(tx, { actor, action: 'voice.campaign.status', objectType: 'voice_campaign', objectId: campaign.id, organisationId: campaign.organisationId, details: { from: campaign.status, to: status } });
  });
}

/** Publishing shows the campaign's public summary (suppressed counts and publishable quotes only). */
export async function setPublished(db: Db, campaign: Campaign, published: boolean, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(voiceCampaigns).set({ published, publishedAt: published ? new Date() : null, updatedAt: new Date() }).where(eq(voiceCampaigns.id, campaign.id));
    await recordAudit(tx, { actor, action: published ? 'voice.campaign.published' : 'voice.campaign.unpublished', objectType: 'voice_campaign', objectId: campaign.id, organisationId: campaign.organisationId });
  });
}
