import { canSee, type Sharing, type Viewer } from '../../platform/auth/permissions.ts';
import type { Question } from './campaigns.ts';
import { answerField, commentField, type AnswerInput, type ResponseInput } from './responses.ts';
import { demographics, type DemographicKey } from './vocabulary.ts';
import { text, texts, type Form } from './web.ts';

/**
 * Reading a response as a form: the public form, volunteer capture and the fields an offline device kept are
 * all the same form, read here once.
 */

/**
 * A date without a time: midday UTC, which is that date in England whatever the season, or now when that is
 * still to come (a paper form typed up the same morning).
 */
export function onDate(year: number, month: number, day: number): Date | null {
  const date = new Date(Date.UTC(year, month - 1, day, 12));
  // 31 February rolls over into March: not a real date.
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return null;
  return date.getTime() > Date.now() && date.toISOString().slice(0, 10) === new Date().toISOString().slice(0, 10) ? new Date() : date;
}

/** A GOV.UK date input's boxes (answered-at-day/-month/-year); null when all are blank, an invalid Date when they make no date. */
function answeredAtFrom(form: Form): Date | null {
  const [day, month, year] = ['day', 'month', 'year'].map((p) => text(form, `answered-at-${p}`).trim());
  if (!day && !month && !year) return null;
  if (!/^\d{1,2}$/.test(day!) || !/^\d{1,2}$/.test(month!) || !/^\d{4}$/.test(year!)) return new Date(Number.NaN);
  return onDate(Number(year), Number(month), Number(day)) ?? new Date(Number.NaN);
}

const ticked = (form: Form, name: string) => text(form, name) === 'yes';

/**
 * A form as posted (the public form, volunteer capture, or the fields an offline device kept) as a response to
 * check. Field names are responses.ts's answerField/commentField, 'postcode', 'neighbourhood', the demographic
 * `field` names of vocabulary.ts with 'demographics-consent', 'contact-name'/'-email'/'-phone'/'-consent', and
 * 'answered-at-day'/'-month'/'-year'. An answer to a question the campaign does not have (a device holding an
 * older version of the questions) is passed on, so checkResponse says so rather than it being dropped unseen.
 */
export function responseInputFromForm(form: Form, questions: Question[]): ResponseInput {
  const answers: Record<string, AnswerInput> = {};
  for (const q of questions) {
    const value = text(form, answerField(q));
    // A comment box is offered only where the question asks for one; anything else under that name is not kept.
    const answer: AnswerInput = { comment: q.withComment ? text(form, commentField(q)) || null : null };
    if (q.kind === 'text') answer.text = value || null;
    else if (q.kind === 'scale') answer.scale = value.trim() === '' ? null : /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    else answer.choices = texts(form, answerField(q)).filter((c) => c.trim() !== '');
    answers[q.id] = answer;
  }
  const known = new Set(questions.map((q) => q.id));
  for (const name of Object.keys(form)) {
    const id = /^(?:answer|comment)-(.+)$/.exec(name)?.[1];
    if (id && !known.has(id) && text(form, name).trim()) answers[id] = { text: text(form, name) };
  }
  const chosen: Partial<Record<DemographicKey, string | null>> = {};
  for (const d of demographics) chosen[d.key] = text(form, d.field) || null;
  const contact = { name: text(form, 'contact-name'), email: text(form, 'contact-email') || null, phone: text(form, 'contact-phone') || null, consent: ticked(form, 'contact-consent') };
  return {
    answers,
    postcode: text(form, 'postcode') || null,
    neighbourhoodId: text(form, 'neighbourhood') || null,
    demographicsConsent: ticked(form, 'demographics-consent'),
    demographics: chosen,
    contact: contact.name || contact.email || contact.phone ? contact : null,
    answeredAt: answeredAtFrom(form),
  };
}

/** The fields an offline device kept, [[name, value], …], as a posted form (a repeated name becomes a list, as checkboxes do). */
export function formFromFields(fields: [string, string][]): Form {
  const form: Record<string, string | string[]> = {};
  for (const [name, value] of fields) {
    const held = form[name];
    form[name] = held === undefined ? value : [...[held].flat(), value];
  }
  return form;
}

/** Which neighbourhoods someone may place a response in: those they may see. */
export const neighbourhoodsVisibleTo = (viewer: Viewer) => (sharing: string, owner: string) => canSee(viewer, sharing as Sharing, owner);

