import type { Tx } from '../../platform/db/database.ts';
import { formProblems, text, type Fail, type Form, type FormErrors } from '../../platform/web/forms.ts';
import { disabilities, disabilityLabels, ethnicityGroupLabels, ethnicityGroups, genderLabels, genders } from '../community-voice/vocabulary.ts';
import { placePostcode } from '../geography/place-postcode.ts';
import { ageBandOn, type Contact, type Demographics, type NewIntroduction, type NewPerson } from './people.ts';
import { closureReasons, consentStatuses, introductionRoutes, supportAgeBands, type ClosureReason, type ConsentStatus, type IntroductionRoute, type SupportAgeBand } from './schema.ts';
import { today } from './web.ts';
import { dateBoxes, pastDate } from '../../platform/web/dates.ts';

/**
 * Reading and checking the forms about a person: their details (new or changed), an introduction, a closure.
 * Every problem is collected against its field, so the form comes back with all of them at once and nothing is
 * written.
 */

export const ageBandNames: Record<SupportAgeBand, string> = {
  'under-18': 'Under 18',
  '18-24': '18 to 24',
  '25-34': '25 to 34',
  '35-49': '35 to 49',
  '50-64': '50 to 64',
  '65-74': '65 to 74',
  '75-84': '75 to 84',
  '85-plus': '85 or over',
};

/** The optional demographics asked, with the 2021 Census's categories (as community voice asks them). */
export const demographicQuestions = [
  { key: 'gender', label: 'Gender', values: genders, labels: genderLabels as Record<string, string> },
  { key: 'ethnicGroup', label: 'Ethnic group', values: ethnicityGroups, labels: ethnicityGroupLabels as Record<string, string> },
  { key: 'disability', label: 'Are their day-to-day activities limited by a health problem or disability?', values: disabilities, labels: disabilityLabels as Record<string, string> },
] as const;

/** The fields of a date given as three boxes, named `<name>-day` and so on (as funds' forms do). */
export const dateFields = ['dateOfBirth', 'consentOn', 'introducedOn', 'closedOn'] as const;

function optionalText(form: Form, name: string, max: number, label: string, fail: Fail): string | null {
  const value = text(form, name).trim();
  if (value.length > max) fail(name, `${label} must be ${max} characters or fewer`);
  return value || null;
}

/** Date-input errors link to the first box. */
function linkDateErrors(errors: FormErrors): FormErrors {
  for (const item of errors.summary) {
    const field = item.href.slice(1);
    if ((dateFields as readonly string[]).includes(field)) item.href = `#${field}-day`;
  }
  return errors;
}

export type PersonDetails = Omit<NewPerson, 'teamId' | 'coordinatorUserId' | 'sample'>;
type Placed = NonNullable<NewPerson['postcode']>;

const normalisePostcode = (postcode: string) => postcode.replace(/\s+/g, '').toUpperCase();

/**
 * A person's own details. `current` is the postcode already held (when changing a record): kept as placed unless
 * it has changed, so an unchanged postcode is not looked up again.
 */
async function readDetails(tx: Tx, form: Form, fail: Fail, current: Placed | null, creating: boolean): Promise<PersonDetails> {
  const name = text(form, 'name').trim().replace(/\s+/g, ' ');
  if (!name) fail('name', 'Enter their name');
  else if (name.length > 200) fail('name', 'Their name must be 200 characters or fewer');

  const email = optionalText(form, 'email', 254, 'Email address', fail);
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) fail('email', 'Enter an email address in the correct format, like name@example.com');
  const phone = optionalText(form, 'phone', 40, 'Phone number', fail);
  if (phone && !/^[0-9+()\-\s]+$/.test(phone)) fail('phone', 'Enter a phone number, like 01942 404040 or 07700 900982');
  const address = optionalText(form, 'address', 500, 'Address', fail);
  const contact: Contact = { email, phone, address };

  let postcode: Placed | null = null;
  const typedPostcode = text(form, 'postcode').trim();
  if (typedPostcode && current && normalisePostcode(typedPostcode) === normalisePostcode(current.display)) postcode = current;
  else if (typedPostcode) {
    const placed = await placePostcode(tx, typedPostcode);
    if (placed.ok) postcode = placed.place;
    else fail('postcode', placed.message);
  }

  const dateOfBirth = pastDate(form, 'dateOfBirth', 'of birth', today(), fail, { required: false });
  const chosenBand = text(form, 'ageBand');
  if (chosenBand && !(supportAgeBands as readonly string[]).includes(chosenBand)) fail('ageBand', 'Choose an age band from the list');
  const ageBand = dateOfBirth ? ageBandOn(dateOfBirth, today()) : chosenBand ? (chosenBand as SupportAgeBand) : null;

  const consentStatus = text(form, 'consentStatus');
  if (!(consentStatuses as readonly string[]).includes(consentStatus)) fail('consentStatus', 'Choose whether they have given consent for this record');
  else if (creating && consentStatus === 'withdrawn') fail('consentStatus', 'A record can only be made with their consent: they must have given it');
  const consentOn = pastDate(form, 'consentOn', 'consent was given or withdrawn', today(), fail);

  const demographics: Demographics = {};
  for (const q of demographicQuestions) {
    const value = text(form, q.key);
    if (!value) continue;
    if (!(q.values as readonly string[]).includes(value)) fail(q.key, `Choose an answer from the list for ${q.label.toLowerCase()}`);
    else demographics[q.key] = value;
  }
  const agreed = text(form, 'demographicsConsent') === 'yes';
  if (Object.keys(demographics).length && !agreed) fail('demographicsConsent', 'Tick the box to say they agreed to share their gender, ethnic group or disability, or leave those questions blank');

  return {
    name,
    contact,
    postcode,
    dateOfBirth,
    ageBand,
    consentStatus: consentStatus as ConsentStatus,
    consentOn: consentOn ?? '',
    demographics: Object.keys(demographics).length ? demographics : null,
  };
}

export function readIntroductionFields(form: Form, fail: Fail): NewIntroduction {
  const introducedOn = pastDate(form, 'introducedOn', 'they were introduced', today(), fail);
  const route = text(form, 'route');
  if (!(introductionRoutes as readonly string[]).includes(route)) fail('route', 'Choose how they were introduced');
  const introducer = optionalText(form, 'introducer', 200, 'Who introduced them', fail);
  const reason = optionalText(form, 'reason', 2000, 'The reason', fail);
  return { introducedOn: introducedOn ?? '', route: route as IntroductionRoute, introducer, reason };
}

export type TeamChoice = { id: string; role: 'coordinator' | 'lead'; memberIds: string[] };
export type FormResult<T> = { ok: true; value: T } | { ok: false; errors: FormErrors };

/**
 * Someone new: their details, the team (one the recorder is in) and coordinator (the recorder, or for a lead of the
 * team anyone in it), and how they were introduced.
 */
export async function readNewPersonForm(tx: Tx, form: Form, recorderId: string, teams: TeamChoice[]): Promise<FormResult<{ person: NewPerson; introduction: NewIntroduction }>> {
  const { errors, fail } = formProblems();
  const team = teams.length === 1 ? teams[0] : teams.find((t) => t.id === text(form, 'teamId'));
  if (!team) fail('teamId', 'Choose the team that will support them');
  const coordinatorUserId = text(form, 'coordinatorUserId') || recorderId;
  if (team && !(team.memberIds.includes(coordinatorUserId) && (coordinatorUserId === recorderId || team.role === 'lead'))) {
    fail('coordinatorUserId', team.role === 'lead' ? 'Choose a coordinator who is in the team' : 'Only a lead of the team can give someone else’s caseload a new person: choose yourself');
  }
  const details = await readDetails(tx, form, fail, null, true);
  const introduction = readIntroductionFields(form, fail);
  if (errors.summary.length) return { ok: false, errors: linkDateErrors(errors) };
  return { ok: true, value: { person: { ...details, teamId: team!.id, coordinatorUserId }, introduction } };
}

/** Changed details for a record; a changed postcode is placed again. */
export async function readChangedDetails(tx: Tx, form: Form, current: Placed | null): Promise<FormResult<PersonDetails>> {
  const { errors, fail } = formProblems();
  const details = await readDetails(tx, form, fail, current, false);
  if (errors.summary.length) return { ok: false, errors: linkDateErrors(errors) };
  return { ok: true, value: details };
}

export function readIntroductionForm(form: Form): FormResult<NewIntroduction> {
  const { errors, fail } = formProblems();
  const introduction = readIntroductionFields(form, fail);
  if (errors.summary.length) return { ok: false, errors: linkDateErrors(errors) };
  return { ok: true, value: introduction };
}

export function readClosureForm(form: Form): FormResult<{ closedOn: string; reason: ClosureReason }> {
  const { errors, fail } = formProblems();
  const closedOn = pastDate(form, 'closedOn', 'support ended', today(), fail);
  const reason = text(form, 'reason');
  if (!(closureReasons as readonly string[]).includes(reason)) fail('reason', 'Choose why support ended');
  if (errors.summary.length) return { ok: false, errors: linkDateErrors(errors) };
  return { ok: true, value: { closedOn: closedOn!, reason: reason as ClosureReason } };
}

/** A stored record as the details form's values, for changing it. */
export function detailsToForm(person: { name: string; contact: Contact; postcode: string | null; dateOfBirth: string | null; ageBand: string | null; consentStatus: string; consentOn: string; demographics: Demographics | null }): Form {
  return {
    name: person.name,
    email: person.contact.email ?? '',
    phone: person.contact.phone ?? '',
    address: person.contact.address ?? '',
    postcode: person.postcode ?? '',
    ...dateBoxes('dateOfBirth', person.dateOfBirth),
    ageBand: person.dateOfBirth ? '' : (person.ageBand ?? ''),
    consentStatus: person.consentStatus,
    ...dateBoxes('consentOn', person.consentOn),
    ...(person.demographics ?? {}),
    demographicsConsent: person.demographics ? 'yes' : '',
  };
}
