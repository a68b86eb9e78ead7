import { normalisePostcode } from '../geography/postcodes.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { formProblems } from '../../platform/web/forms.ts';
import { assetKinds, contactKinds, serviceStatuses, type AssetKind, type ServiceStatus } from './schema.ts';
import { AssetError, checkService, dayCodes, dayName, groupTerms, phoneKey, type ContactInput, type LocationInput, type ScheduleInput, type ServiceInput, type ServiceRecord, type Term } from './service.ts';

/**
 * The add and edit form of a directory record, as plain HTML fields that work without JavaScript: reading a
 * submitted form into a ServiceInput with a message against each field that is wrong, and the reverse (a
 * record as the values that fill the form). Schedules and contacts are numbered rows ("schedule0Day"); a row
 * left empty is ignored, so the form can offer a few spare rows.
 */

export type Form = Record<string, unknown>;
/** What a form shows: the text typed (kept as typed when re-shown with errors), or the ticked values. */
export type FormValues = Record<string, string | string[]>;

/** Rows on a new record; an edit shows as many as the record has and one spare, and these at least. */
export const scheduleRowsShown = 3;
export const contactRowsShown = 2;
/** Rows read from a submission: far more than any page shows, so nothing typed is silently dropped. */
const maxRows = 20;

/** Text as typed, trimmed; NUL cannot be stored in PostgreSQL text and has no business in a form. */
export const formText = (form: Form, field: string): string => (typeof form[field] === 'string' ? (form[field] as string).replace(/\u0000/g, '').trim() : '');
export const formList = (form: Form, field: string): string[] => [form[field]].flat().filter((v): v is string => typeof v === 'string' && v !== '');

export const kindText: Record<AssetKind, string> = { place: 'A place', activity: 'A group, club or activity' };
export const kindHint: Record<AssetKind, string> = {
  place: 'A building or space, such as a community centre, library, park or place of worship',
  activity: 'Something people do together, such as a lunch club, a walking group or a volunteering scheme',
};
export const statusText: Record<ServiceStatus, string> = {
  active: 'Open or running',
  'temporarily closed': 'Temporarily closed',
  inactive: 'Not running at the moment',
  defunct: 'Closed for good',
};
export const contactKindText: Record<(typeof contactKinds)[number], string> = {
  organisation: 'The organisation’s shared phone line or inbox',
  staff: 'A named person at the organisation, in their role',
  'private-individual': 'A private individual, such as a volunteer’s own phone',
};
const contactKindHint: Record<(typeof contactKinds)[number], string> = {
  organisation: 'Such as a reception number or an info@ address',
  staff: 'Such as the centre manager’s work email',
  'private-individual': 'Kept for your organisation only: never shown publicly',
};
const yesNo = ['yes', 'no', 'unknown'] as const;

/**
 * How often a schedule row happens. Weekly rows are "W" and the number of weeks; monthly rows are "M", which
 * week of the month (1 to 4, or -1 for the last), and "x" and the number of months when not every month.
 */
const oftenOptions = [
  { value: 'W1', text: 'Every week' },
  { value: 'W2', text: 'Every 2 weeks' },
  { value: 'M1', text: 'The first … of the month' },
  { value: 'M2', text: 'The second … of the month' },
  { value: 'M3', text: 'The third … of the month' },
  { value: 'M4', text: 'The fourth … of the month' },
  { value: 'M-1', text: 'The last … of the month' },
];
const ordinalText: Record<string, string> = { '1': 'first', '2': 'second', '3': 'third', '4': 'fourth', '5': 'fifth', '-1': 'last' };

function oftenOf(s: Pick<ScheduleInput, 'freq' | 'interval'>, week: string | null): string {
  if (s.freq === 'WEEKLY') return `W${s.interval}`;
  return `M${week ?? '1'}${s.interval === 1 ? '' : `x${s.interval}`}`;
}

function oftenTextOf(value: string): string {
  const known = oftenOptions.find((o) => o.value === value);
  if (known) return known.text;
  const weekly = /^W(\d+)$/.exec(value);
  if (weekly) return `Every ${weekly[1]} weeks`;
  const monthly = /^M(-1|[1-5])(?:x(\d+))?$/.exec(value);
  if (monthly) return `The ${ordinalText[monthly[1]!]} … of ${monthly[2] ? `every ${monthly[2]} months` : 'the month'}`;
  return value;
}

function parseOften(value: string): { freq: ScheduleInput['freq']; interval: number; week: string | null } | null {
  const weekly = /^W([1-9]|1[0-2])$/.exec(value);
  if (weekly) return { freq: 'WEEKLY', interval: Number(weekly[1]), week: null };
  const monthly = /^M(-1|[1-5])(?:x([1-9]|1[0-2]))?$/.exec(value);
  if (monthly) return { freq: 'MONTHLY', interval: monthly[2] ? Number(monthly[2]) : 1, week: monthly[1]! };
  return null;
}

/** "9:30", "09.30", "0930", "9am", "2:15pm" → "HH:MM"; null when it is not a time of day. */
export function parseTime(typed: string): string | null {
  const m = /^(\d{1,2})(?:[:.]?(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$/i.exec(typed.trim());
  if (!m) return null;
  let hours = Number(m[1]);
  const minutes = m[2] === undefined ? 0 : Number(m[2]);
  const half = m[3]?.toLowerCase().replace(/\./g, '');
  if (m[2] === undefined && !half) return null; // "9" alone could be morning or evening
  if (half) {
    if (hours < 1 || hours > 12) return null;
    hours = (hours % 12) + (half === 'pm' ? 12 : 0);
  }
  if (hours > 23 || minutes > 59) return null;
  return `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

const emailPattern = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
/** A web address as people type it: "www.example.org" means https://www.example.org. */
function parseUrl(typed: string): string | null {
  if (/^https?:\/\/[^\s<>"]+$/i.test(typed)) return typed;
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)+(\/[^\s<>"]*)?$/i.test(typed)) return `https://${typed}`;
  return null;
}

const isoDate = (day: number, month: number, year: number): string | null => {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return d.toISOString().slice(0, 10);
};

export type ParsedServiceForm =
  | { ok: true; input: ServiceInput; fieldOf: (error: AssetError) => string }
  | { ok: false; errors: FormErrors };

/**
 * Reads a submitted record form. Every field is checked and each problem is reported against its own field
 * (the error summary links to it); service.ts's checks then run too, and any they find is mapped back onto
 * the form. Whether a postcode is known needs the database, so it is checked when saving.
 */
export function parseServiceForm(form: Form): ParsedServiceForm {
  const { errors, fail } = formProblems();
  const t = (field: string) => formText(form, field);
  const optional = (field: string) => t(field) || null;
  const limit = (field: string, max: number, what: string) => {
    if (t(field).length > max) fail(field, `${what} must be ${max.toLocaleString('en-GB')} characters or fewer`);
  };

  const name = t('name');
  if (!name) fail('name', 'Enter the name of the place, group or activity');
  limit('name', 200, 'The name');
  const kind = t('kind') as AssetKind;
  if (!(assetKinds as readonly string[]).includes(kind)) fail('kind', 'Choose whether it is a place or a group, club or activity');
  const organisationName = t('organisationName');
  if (!organisationName) fail('organisationName', 'Enter the organisation or group that runs it');
  limit('organisationName', 200, 'The organisation’s name');
  limit('description', 5000, 'The description');
  for (const [field, what] of [['fees', 'What it costs'], ['eligibility', 'Who it is for'], ['accessibility', 'The access notes'], ['locationName', 'The building’s name'], ['address', 'The address'], ['town', 'The town']] as const) limit(field, 1000, what);

  const urlOf = (field: string): string | null => {
    const typed = t(field);
    if (!typed) return null;
    const url = parseUrl(typed);
    if (!url) fail(field, 'Enter a website address like www.example.org');
    return url;
  };
  const emailOf = (field: string): string | null => {
    const typed = t(field);
    if (!typed) return null;
    if (!emailPattern.test(typed) || typed.length > 254) fail(field, 'Enter an email address like name@example.org');
    return typed;
  };
  const url = urlOf('url');
  const email = emailOf('email');
  const organisationUrl = urlOf('organisationUrl');
  const organisationEmail = emailOf('organisationEmail');
  const organisationPhone = optional('organisationPhone');
  if (organisationPhone && !phoneKey(organisationPhone)) fail('organisationPhone', 'Enter a phone number with at least 6 digits, like 01942 123456');

  const categories = [...new Set(formList(form, 'categories'))];
  if (!categories.length) fail('categories', 'Choose at least one category');
  const status = (t('status') || 'active') as ServiceStatus;
  if (!(serviceStatuses as readonly string[]).includes(status)) fail('status', 'Choose whether it is open or running, or closed');

  const tristate = (field: string, question: string): boolean | null => {
    const v = t(field) || 'unknown';
    if (!(yesNo as readonly string[]).includes(v)) fail(field, question);
    return v === 'yes' ? true : v === 'no' ? false : null;
  };
  const free = tristate('free', 'Choose whether it is free');
  const wheelchairAccessible = tristate('wheelchairAccessible', 'Choose whether a wheelchair user can get in and use it');

  const age = (field: string, which: string): number | null => {
    const typed = t(field);
    if (!typed) return null;
    if (!/^\d{1,3}$/.test(typed) || Number(typed) > 120) {
      fail(field, `The ${which} age must be a whole number from 0 to 120`);
      return null;
    }
    return Number(typed);
  };
  const minimumAge = age('minimumAge', 'youngest');
  const maximumAge = age('maximumAge', 'oldest');
  if (minimumAge !== null && maximumAge !== null && minimumAge > maximumAge) fail('maximumAge', 'The oldest age must not be below the youngest');

  // The location: a postcode places it. An activity with no fixed place (online, by phone) has none.
  const postcodeTyped = t('postcode');
  const locations: LocationInput[] = [];
  if (postcodeTyped) {
    const postcode = normalisePostcode(postcodeTyped);
    if (!postcode) fail('postcode', `"${postcodeTyped}" is not a postcode: enter a postcode like WN1 1AA`);
    locations.push({ name: optional('locationName'), address1: optional('address'), city: optional('town'), postcode: postcode ?? postcodeTyped, longitude: null, latitude: null, accessibility: null });
  } else if (t('locationName') || t('address') || t('town')) fail('postcode', 'Enter the postcode, so the place can be found on the map');
  else if (kind === 'place') fail('postcode', 'A place needs an address: enter its postcode');

  // Schedules: each non-empty row is one regular time.
  const schedules: ScheduleInput[] = [];
  const scheduleRows: number[] = [];
  for (let i = 0; i < maxRows; i++) {
    const f = (name: string) => `schedule${i}${name}`;
    const [often, day, opens, closes, note] = ['Often', 'Day', 'Opens', 'Closes', 'Note'].map((n) => t(f(n)));
    if (!often && !day && !opens && !closes && !note) continue;
    const at = ` (time ${i + 1})`;
    const how = parseOften(often!);
    if (!how) fail(f('Often'), `Choose how often it happens${at}`);
    if (!(dayCodes as string[]).includes(day!)) fail(f('Day'), `Choose the day it happens${at}`);
    const opensAt = opens ? parseTime(opens) : null;
    if (opens && !opensAt) fail(f('Opens'), `Enter the start time like 09:30 or 9:30am${at}`);
    const closesAt = closes ? parseTime(closes) : null;
    if (closes && !closesAt) fail(f('Closes'), `Enter the end time like 12:00 or 12pm${at}`);
    if (closesAt && !opens) fail(f('Opens'), `Enter the start time as well as the end time${at}`);
    if (opensAt && closesAt && closesAt <= opensAt) fail(f('Closes'), `The end time must be after the start time${at}`);
    if (note && note.length > 200) fail(f('Note'), `The note must be 200 characters or fewer${at}`);
    const validFrom = t(f('ValidFrom')) || null;
    const validTo = t(f('ValidTo')) || null;
    if (how && (dayCodes as string[]).includes(day!)) {
      schedules.push({ freq: how.freq, interval: how.interval, byDay: how.week ? `${how.week}${day}` : day!, opensAt, closesAt, validFrom, validTo, description: note || null });
      scheduleRows.push(i);
    }
  }

  // Contacts: each non-empty row is one; whose details they are decides whether they may be shown.
  const contacts: ContactInput[] = [];
  const contactRows: number[] = [];
  for (let i = 0; i < maxRows; i++) {
    const f = (name: string) => `contact${i}${name}`;
    const [contactName, title, phone, contactEmail] = ['Name', 'Title', 'Phone', 'Email'].map((n) => t(f(n)));
    if (!contactName && !title && !phone && !contactEmail) continue;
    const at = ` (contact ${i + 1})`;
    const contactKind = t(f('Kind')) as ContactInput['kind'];
    if (!(contactKinds as readonly string[]).includes(contactKind)) fail(f('Kind'), `Say whose contact details these are${at}`);
    if (!contactName && !phone && !contactEmail) fail(f('Name'), `Enter a name, phone number or email${at}`);
    if (phone && !phoneKey(phone)) fail(f('Phone'), `Enter a phone number with at least 6 digits, like 01942 123456${at}`);
    if (contactEmail && (!emailPattern.test(contactEmail) || contactEmail.length > 254)) fail(f('Email'), `Enter an email address like name@example.org${at}`);
    for (const [field, value] of [['Name', contactName], ['Title', title]] as const) if (value && value.length > 200) fail(f(field), `This must be 200 characters or fewer${at}`);
    const shown = t(f('Public')) === 'yes';
    if (shown && contactKind === 'private-individual') fail(f('Public'), `A private individual’s own contact details are never published: untick “Show on the public page”, or choose the organisation’s shared line${at}`);
    contacts.push({ kind: contactKind, name: contactName || null, title: title || null, phone: phone || null, email: contactEmail || null, public: shown });
    contactRows.push(i);
  }

  // When the record was last confirmed: blank means today.
  let lastChecked: string | null = null;
  const [d, m, y] = ['lastChecked-day', 'lastChecked-month', 'lastChecked-year'].map((n) => t(n));
  if (d || m || y) {
    const date = /^\d{1,2}$/.test(d!) && /^\d{1,2}$/.test(m!) && /^\d{4}$/.test(y!) ? isoDate(Number(d), Number(m), Number(y)) : null;
    if (!date) fail('lastChecked-day', 'The date last checked must be a real date, like 23 11 2026');
    else if (date > new Date().toISOString().slice(0, 10)) fail('lastChecked-day', 'The date last checked must be today or in the past');
    else if (date < '2000-01-01') fail('lastChecked-day', 'The date last checked must be after 2000');
    else lastChecked = date;
  }

  if (errors.summary.length) return { ok: false, errors };

  const input: ServiceInput = {
    organisation: { name: organisationName, description: null, url: organisationUrl, email: organisationEmail, phone: organisationPhone },
    kind,
    name,
    description: optional('description'),
    url,
    email,
    status,
    free,
    fees: free === true ? null : optional('fees'),
    eligibility: optional('eligibility'),
    minimumAge,
    maximumAge,
    wheelchairAccessible,
    accessibility: optional('accessibility'),
    lastChecked,
    categories,
    locations,
    schedules,
    contacts,
  };
  const fieldOf = (error: AssetError): string => {
    const row = /^(schedule|contact)(\d+)$/.exec(error.field);
    if (row) {
      const rows = row[1] === 'schedule' ? scheduleRows : contactRows;
      return `${row[1]}${rows[Number(row[2])] ?? 0}${row[1] === 'schedule' ? 'Often' : 'Kind'}`;
    }
    if (error.field === 'lastChecked') return 'lastChecked-day';
    if (error.field === 'into' || error.field === 'parentId') return 'name';
    return error.field;
  };
  try {
    checkService(input);
  } catch (error) {
    if (!(error instanceof AssetError)) throw error;
    const { errors: checked, fail: failChecked } = formProblems();
    failChecked(fieldOf(error), error.message);
    return { ok: false, errors: checked };
  }
  return { ok: true, input, fieldOf };
}

/**
 * Which of a record's locations the form's address fields show: the first with a postcode, since the form
 * places locations by postcode. A location known only by its coordinates (from an import) stays as it is.
 */
export function editableLocation(record: Pick<ServiceRecord, 'locations'>): number {
  return record.locations.findIndex((l) => l.postcode !== null && l.postcode !== '');
}

/** The record's locations the form does not show, kept as they are when it is saved. */
export function otherLocations(record: Pick<ServiceRecord, 'locations'>) {
  const shown = editableLocation(record);
  return record.locations.filter((_, i) => i !== shown);
}

/** A record as the values of its edit form. Schedules on several days become a row per day, which means the same. */
export function formValuesOf(record: ServiceRecord): FormValues {
  const values: FormValues = {
    name: record.name,
    kind: record.kind,
    organisationName: record.organisation.name,
    organisationUrl: record.organisation.url ?? '',
    organisationEmail: record.organisation.email ?? '',
    organisationPhone: record.organisation.phone ?? '',
    description: record.description ?? '',
    url: record.url ?? '',
    email: record.email ?? '',
    categories: record.categories.map((c) => c.id),
    status: record.status,
    free: record.free === null ? 'unknown' : record.free ? 'yes' : 'no',
    fees: record.fees ?? '',
    eligibility: record.eligibility ?? '',
    minimumAge: record.minimumAge === null ? '' : String(record.minimumAge),
    maximumAge: record.maximumAge === null ? '' : String(record.maximumAge),
    wheelchairAccessible: record.wheelchairAccessible === null ? 'unknown' : record.wheelchairAccessible ? 'yes' : 'no',
    accessibility: record.accessibility ?? '',
  };
  const location = record.locations[editableLocation(record)];
  if (location) Object.assign(values, { locationName: location.name ?? '', address: location.address1 ?? '', town: location.city ?? '', postcode: location.postcode ?? '' });
  let row = 0;
  for (const s of record.schedules) {
    for (const part of s.byDay.split(',')) {
      const [, week, day] = /^(-?\d)?([A-Z]{2})$/.exec(part)!;
      const f = (name: string) => `schedule${row}${name}`;
      Object.assign(values, {
        [f('Often')]: oftenOf(s, week ?? null),
        [f('Day')]: day,
        [f('Opens')]: s.opensAt ?? '',
        [f('Closes')]: s.closesAt ?? '',
        [f('Note')]: s.description ?? '',
        [f('ValidFrom')]: s.validFrom ?? '',
        [f('ValidTo')]: s.validTo ?? '',
      });
      row++;
    }
  }
  record.contacts.forEach((c, i) => {
    const f = (name: string) => `contact${i}${name}`;
    Object.assign(values, { [f('Kind')]: c.kind, [f('Name')]: c.name ?? '', [f('Title')]: c.title ?? '', [f('Phone')]: c.phone ?? '', [f('Email')]: c.email ?? '', [f('Public')]: c.public ? 'yes' : '' });
  });
  const [year, month, day] = record.lastChecked.split('-');
  Object.assign(values, { 'lastChecked-day': String(Number(day)), 'lastChecked-month': String(Number(month)), 'lastChecked-year': year });
  return values;
}

/**
 * An edited form's input, keeping what the form does not show: the directory organisation's record while it
 * keeps its name, the exact point of a location whose postcode did not change (imports carry coordinates more
 * precise than a postcode's), the record's other locations, and whether it is sample data.
 */
export function keepUnshown(input: ServiceInput, record: ServiceRecord): ServiceInput {
  const organisation =
    input.organisation.name.trim().toLowerCase() === record.organisation.name.trim().toLowerCase()
      ? { ...input.organisation, id: record.organisation.id, description: record.organisation.description }
      : input.organisation;
  const first = record.locations[editableLocation(record)];
  const others = otherLocations(record);
  const locations = input.locations.map((l, i) => {
    if (i > 0 || !first) return l;
    const same = first.postcode !== null && l.postcode !== null && normalisePostcode(first.postcode) === normalisePostcode(l.postcode);
    return same ? { ...l, longitude: first.longitude, latitude: first.latitude, accessibility: first.accessibility } : { ...l, accessibility: first.accessibility };
  });
  const kept = others.map(({ id, name, address1, city, postcode, longitude, latitude, accessibility }) => ({ id, name, address1, city, postcode, longitude, latitude, accessibility }));
  return { ...input, organisation, locations: [...locations, ...kept], sample: record.sample };
}

const rowsIn = (values: FormValues, prefix: string, shown: number) => {
  let highest = -1;
  for (const [key, value] of Object.entries(values)) {
    const m = new RegExp(`^${prefix}(\\d+)[A-Z]`).exec(key);
    if (m && value !== '' && Number(m[1]) < maxRows) highest = Math.max(highest, Number(m[1]));
  }
  // Every row in use, and one spare to add another.
  return Math.min(maxRows, Math.max(shown, highest + 2));
};

const str = (values: FormValues, field: string) => {
  const v = values[field];
  return typeof v === 'string' ? v : '';
};

/** Everything the form's template needs, from the values to show, the categories the organisation may use and any errors. */
export function serviceFormView(values: FormValues, terms: Term[], errors?: FormErrors) {
  const chosen = new Set(formList(values, 'categories'));
  const radios = <T extends string>(field: string, options: readonly T[], text: Record<T, string>, fallback: T, hints?: Partial<Record<T, string>>) =>
    options.map((o) => ({ value: o, text: text[o], hint: hints?.[o] ? { text: hints[o] } : undefined, checked: (str(values, field) || fallback) === o }));
  // Places first, then activities, as the question before them asks; an organisation's own groups after.
  const shippedOrder = ['places', 'activities'];
  const rank = (id: string) => (shippedOrder.includes(id) ? shippedOrder.indexOf(id) : shippedOrder.length);
  const groups = groupTerms(terms)
    .sort((a, b) => rank(a.term.id) - rank(b.term.id))
    .map((g, index) => {
    const items = g.children.length
      ? [
          ...g.children.map((c) => {
            const parent = c.parentId !== g.term.id ? terms.find((p) => p.id === c.parentId) : undefined;
            return { value: c.id, text: c.name, hint: parent ? { text: `Within ${parent.name}` } : c.ownerOrganisationId ? { text: 'Your organisation’s own category' } : undefined, checked: chosen.has(c.id) };
          }),
          { value: g.term.id, text: `Other ${g.term.name.charAt(0).toLowerCase()}${g.term.name.slice(1)}`, checked: chosen.has(g.term.id) },
        ]
      : [{ value: g.term.id, text: g.term.name, checked: chosen.has(g.term.id) }];
    return { legend: g.term.name, idPrefix: index === 0 ? 'categories' : `categories-${index + 1}`, items };
  });
  const dayItems = (selected: string) => [{ value: '', text: 'Choose a day', selected: !selected }, ...dayCodes.map((d) => ({ value: d, text: dayName(d), selected: d === selected }))];
  const oftenItems = (selected: string) => {
    const options = oftenOptions.some((o) => o.value === selected) || !selected ? oftenOptions : [...oftenOptions, { value: selected, text: oftenTextOf(selected) }];
    return [{ value: '', text: 'Choose how often', selected: !selected }, ...options.map((o) => ({ ...o, selected: o.value === selected }))];
  };
  const schedules = Array.from({ length: rowsIn(values, 'schedule', scheduleRowsShown) }, (_, i) => {
    const f = (name: string) => `schedule${i}${name}`;
    return {
      index: i,
      legend: `Time ${i + 1}`,
      ids: { often: f('Often'), day: f('Day'), opens: f('Opens'), closes: f('Closes'), note: f('Note'), validFrom: f('ValidFrom'), validTo: f('ValidTo') },
      oftenItems: oftenItems(str(values, f('Often'))),
      dayItems: dayItems(str(values, f('Day'))),
      opens: str(values, f('Opens')),
      closes: str(values, f('Closes')),
      note: str(values, f('Note')),
      validFrom: str(values, f('ValidFrom')),
      validTo: str(values, f('ValidTo')),
    };
  });
  const contacts = Array.from({ length: rowsIn(values, 'contact', contactRowsShown) }, (_, i) => {
    const f = (name: string) => `contact${i}${name}`;
    return {
      index: i,
      legend: `Contact ${i + 1}`,
      ids: { kind: f('Kind'), name: f('Name'), title: f('Title'), phone: f('Phone'), email: f('Email'), public: f('Public') },
      kindItems: contactKinds.map((k) => ({ value: k, text: contactKindText[k], hint: { text: contactKindHint[k] }, checked: str(values, f('Kind')) === k })),
      name: str(values, f('Name')),
      title: str(values, f('Title')),
      phone: str(values, f('Phone')),
      email: str(values, f('Email')),
      public: str(values, f('Public')) === 'yes',
    };
  });
  return {
    values,
    errors,
    kindItems: radios('kind', assetKinds, kindText, '' as AssetKind, kindHint),
    statusItems: radios('status', ['active', 'temporarily closed', 'inactive', 'defunct'] as const satisfies readonly ServiceStatus[], statusText, 'active'),
    freeItems: radios('free', yesNo, { yes: 'Yes, it is free', no: 'No, there is a charge', unknown: 'Not known' }, 'unknown'),
    wheelchairItems: radios('wheelchairAccessible', yesNo, { yes: 'Yes', no: 'No', unknown: 'Not known' }, 'unknown'),
    categoryGroups: groups,
    schedules,
    contacts,
  };
}
