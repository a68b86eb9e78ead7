import { eq } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { type Db, type Tx } from '../../platform/db/database.ts';
import { placePostcode } from '../geography/place-postcode.ts';
import { neighbourhoods } from '../neighbourhoods/schema.ts';
import type { Campaign, Question } from './campaigns.ts';
import { voiceAnswers, voiceContacts, voiceResponses } from './schema.ts';
import { demographics, type AgeBand, type DemographicKey, type ResponseChannel } from './vocabulary.ts';

/**
 * Recording one response, however it arrived (public form, volunteer capture, offline sync, CSV import): the
 * same checks, the same way of placing it, the same rows. A postcode is used to find the areas and then
 * dropped; demographics are kept only with consent; contact details only when asked for, in their own table.
 */

export const maxAnswer = 5000;
export const maxComment = 2000;
export const contactConsentStatement = 'I would like to be contacted about what I said, and agree to my name and contact details being kept for that until I ask for them to be removed.';

export type AnswerInput = { text?: string | null; choices?: string[] | null; scale?: number | null; comment?: string | null };

export type ResponseInput = {
  /** By question id. */
  answers: Record<string, AnswerInput>;
  postcode?: string | null;
  neighbourhoodId?: string | null;
  demographicsConsent: boolean;
  demographics?: Partial<Record<DemographicKey, string | null>>;
  contact?: { name: string; email?: string | null; phone?: string | null; consent: boolean } | null;
  /** When the person answered, for responses captured offline or imported; defaults to now. */
  answeredAt?: Date | null;
};

export type ResponseMeta = {
  channel: ResponseChannel;
  capturedBy?: string | null;
  /** The browser's id for an offline response: a second send of the same id stores nothing new. */
  clientId?: string | null;
  importId?: string | null;
  /** Which neighbourhoods the person choosing may pick: public ones for residents, any they may see for members. */
  neighbourhoodAllowed?: (sharing: string, ownerOrganisationId: string) => boolean;
};

export type Problem = { field: string; message: string };

/** Field names used by forms, offline sync and import messages alike. */
export const answerField = (q: Pick<Question, 'id'>) => `answer-${q.id}`;
export const commentField = (q: Pick<Question, 'id'>) => `comment-${q.id}`;

/** Plain text as typed, minus control characters (other than new lines) that have no place in an answer. */
export function cleanText(value: string | null | undefined): string | null {
  if (value == null) return null;
  // eslint-disable-next-line no-control-regex
  const cleaned = value.normalize('NFC').replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  return cleaned || null;
}

type Placed = { locationSource: 'postcode' | 'neighbourhood' | 'none'; lsoa21: string | null; ward25: string | null; lad25: string | null; neighbourhoodId: string | null };

export type CheckedResponse = {
  answers: { questionId: string; text: string | null; choices: string[] | null; scale: number | null; comment: string | null }[];
  place: Placed;
  demographics: Partial<Record<DemographicKey, string>>;
  contact: { name: string; email: string | null; phone: string | null } | null;
  answeredAt: Date;
};

const emailPattern = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/** Checks a response against its campaign's questions and places it; every problem found, by field. */
export async function checkResponse(tx: Tx, questions: Question[], input: ResponseInput, meta: Pick<ResponseMeta, 'neighbourhoodAllowed'> = {}): Promise<{ problems: Problem[]; checked: CheckedResponse | null }> {
  const problems: Problem[] = [];
  const fail = (field: string, message: string) => problems.push({ field, message });
  const known = new Set(questions.map((q) => q.id));
  for (const id of Object.keys(input.answers)) if (!known.has(id)) fail('form', 'The answers are for a different version of these questions: reload the page and answer again');

  const answers: CheckedResponse['answers'] = [];
  for (const q of questions) {
    const given = input.answers[q.id] ?? {};
    const field = answerField(q);
    const label = `Question ${q.position}`;
    let text: string | null = null;
    let choices: string[] | null = null;
    let scale: number | null = null;
    const comment = cleanText(given.comment);
    if (comment && comment.length > maxComment) fail(commentField(q), `${label}: the comment must be ${maxComment} characters or fewer`);
    if (q.kind === 'text') {
      text = cleanText(given.text);
      if (text && text.length > maxAnswer) fail(field, `${label}: the answer must be ${maxAnswer} characters or fewer`);
    } else if (q.kind === 'scale') {
      if (given.scale != null) {
        if (!Number.isInteger(given.scale) || given.scale < q.scaleMin! || given.scale > q.scaleMax!) fail(field, `${label}: choose a number from ${q.scaleMin} to ${q.scaleMax}`);
        else scale = given.scale;
      }
    } else {
      const picked = (given.choices ?? []).map((c) => cleanText(c)).filter((c): c is string => c !== null);
      const unknown = picked.find((c) => !q.options!.includes(c));
      if (unknown !== undefined) fail(field, `${label}: "${unknown.slice(0, 80)}" is not one of the answers offered`);
      else if (q.kind === 'choice' && picked.length > 1) fail(field, `${label}: choose one answer`);
      else if (picked.length) choices = [...new Set(picked)];
    }
    const answered = text !== null || choices !== null || scale !== null;
    if (q.required && !answered) fail(field, `${label}: ${q.kind === 'text' ? 'enter an answer' : 'choose an answer'}`);
    if (answered || comment) answers.push({ questionId: q.id, text, choices, scale, comment });
  }
  if (!answers.length && !problems.length) fail('form', 'Answer at least one question');

  const chosenDemographics: CheckedResponse['demographics'] = {};
  for (const d of demographics) {
    const value = input.demographics?.[d.key];
    if (value == null || value === '') continue;
    if (!(d.values as readonly string[]).includes(value)) fail(d.field, `${d.label}: choose one of the answers offered`);
    else chosenDemographics[d.key] = value;
  }
  if (Object.keys(chosenDemographics).length && !input.demographicsConsent) fail('demographics-consent', 'Tick the box to say you agree to us keeping the answers about you, or leave those questions blank');

  let contact: CheckedResponse['contact'] = null;
  if (input.contact && (input.contact.name || input.contact.email || input.contact.phone)) {
    const name = cleanText(input.contact.name);
    const email = cleanText(input.contact.email)?.toLowerCase() ?? null;
    const phone = cleanText(input.contact.phone);
    if (!input.contact.consent) fail('contact-consent', 'Tick the box to agree to being contacted, or leave your name and contact details blank');
    if (!name) fail('contact-name', 'Enter your name, so we know who to ask for');
    else if (name.length > 200) fail('contact-name', 'Your name must be 200 characters or fewer');
    if (!email && !phone) fail('contact-email', 'Enter an email address or a phone number');
    if (email && (email.length > 254 || !emailPattern.test(email))) fail('contact-email', 'Enter an email address like name@example.com');
    if (phone && !/^[+\d][\d\s()-]{5,24}$/.test(phone)) fail('contact-phone', 'Enter a phone number using only numbers, spaces and brackets');
    if (name && (email || phone)) contact = { name, email, phone };
  }

  const answeredAt = input.answeredAt ?? new Date();
  if (Number.isNaN(answeredAt.getTime())) fail('answered-at', 'Enter the date answered as a real date, for example 3 10 2026, or leave it blank for today');
  else if (answeredAt.getTime() > Date.now() + 5 * 60_000) fail('answered-at', 'The date answered cannot be in the future');

  const place = await placeResponse(tx, input, meta, fail);
  return { problems, checked: problems.length ? null : { answers, place, demographics: chosenDemographics, contact, answeredAt } };
}

async function placeResponse(tx: Tx, input: ResponseInput, meta: Pick<ResponseMeta, 'neighbourhoodAllowed'>, fail: (field: string, message: string) => void): Promise<Placed> {
  const none: Placed = { locationSource: 'none', lsoa21: null, ward25: null, lad25: null, neighbourhoodId: null };
  const postcode = cleanText(input.postcode);
  if (postcode) {
    const placed = await placePostcode(tx, postcode);
    if (!placed.ok) {
      fail('postcode', placed.message);
      return none;
    }
    const { lsoa21, ward25, lad25 } = placed.place;
    return { locationSource: 'postcode', lsoa21, ward25, lad25, neighbourhoodId: null };
  }
  if (input.neighbourhoodId) {
    const id = input.neighbourhoodId;
    const [n] = /^[0-9a-f-]{36}$/i.test(id)
      ? await tx.select({ id: neighbourhoods.id, sharing: neighbourhoods.sharing, owner: neighbourhoods.ownerOrganisationId }).from(neighbourhoods).where(eq(neighbourhoods.id, id))
      : [];
    const allowed = meta.neighbourhoodAllowed ?? ((sharing: string) => sharing === 'public');
    if (!n || !allowed(n.sharing, n.owner)) {
      fail('neighbourhood', 'Choose a neighbourhood from the list');
      return none;
    }
    return { ...none, locationSource: 'neighbourhood', neighbourhoodId: n.id };
  }
  return none;
}

/** Writes a checked response; inside the caller's transaction so an import is all-or-nothing. */
export async function insertResponse(tx: Tx, campaign: Campaign, checked: CheckedResponse, meta: ResponseMeta): Promise<string> {
  const consent = Object.keys(checked.demographics).length > 0;
  const d = checked.demographics;
  const [row] = await tx
    .insert(voiceResponses)
    .values({
      campaignId: campaign.id,
      channel: meta.channel,
      clientId: meta.clientId ?? null,
      capturedBy: meta.capturedBy ?? null,
      answeredAt: checked.answeredAt,
      ...checked.place,
      demographicsConsent: consent,
      ageBand: (d.ageBand as AgeBand | undefined) ?? null,
      gender: (d.gender as 'woman' | 'man' | 'other' | undefined) ?? null,
      ethnicityGroup: (d.ethnicityGroup as typeof voiceResponses.$inferInsert.ethnicityGroup) ?? null,
      disability: (d.disability as typeof voiceResponses.$inferInsert.disability) ?? null,
      tenure: (d.tenure as typeof voiceResponses.$inferInsert.tenure) ?? null,
      importId: meta.importId ?? null,
    })
    .returning({ id: voiceResponses.id });
  const id = row!.id;
  if (checked.answers.length) await tx.insert(voiceAnswers).values(checked.answers.map((a) => ({ responseId: id, ...a })));
  if (checked.contact) await tx.insert(voiceContacts).values({ responseId: id, ...checked.contact, consentStatement: contactConsentStatement });
  return id;
}

export type RecordResult = { status: 'recorded' | 'already-recorded'; id: string } | { status: 'refused'; problems: Problem[] };

/**
 * Checks and records one response. A response whose clientId was recorded before is not recorded again
 * (an offline device re-sending after a lost reply), and says so.
 */
export async function recordResponse(db: Db, campaign: Campaign, questions: Question[], input: ResponseInput, meta: ResponseMeta, actor: Actor): Promise<RecordResult> {
  return db.transaction(async (tx) => {
    if (meta.clientId) {
      const [seen] = await tx.select({ id: voiceResponses.id, campaignId: voiceResponses.campaignId }).from(voiceResponses).where(eq(voiceResponses.clientId, meta.clientId));
      if (seen && seen.campaignId === campaign.id) return { status: 'already-recorded' as const, id: seen.id };
      if (seen) return { status: 'refused' as const, problems: [{ field: 'form', message: 'This response was already sent for a different campaign' }] };
    }
    const { problems, checked } = await checkResponse(tx, questions, input, meta);
    if (!checked) return { status: 'refused' as const, problems };
    const id = await insertResponse(tx, campaign, checked, meta);
    await recordAudit(tx, {
      actor,
      action: 'voice.response.recorded',
      objectType: 'voice_response',
      objectId: id,
      organisationId: campaign.organisationId,
      details: { campaign: campaign.id, channel: meta.channel, placed: checked.place.locationSource, contact: checked.contact !== null },
    });
    return { status: 'recorded' as const, id };
  });
}
