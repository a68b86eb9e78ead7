import { sql } from 'drizzle-orm';
import { ImportError, readRows, readUpload, spreadsheetCsv, unguardCell } from '../../platform/data/csv.ts';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import { ownServiceIds } from './oruk.ts';
import { contactKinds, type AssetKind, type ServiceStatus } from './schema.ts';
import { dayName, getServices, type ContactInput, type DayCode, type LocationInput, type ScheduleInput, type ServiceInput, type ServiceRecord } from './service.ts';
import { ProblemList, TransferError, uuidPattern, type ImportPlan, type ImportRecord } from './transfer.ts';

/**
 * The directory as a spreadsheet a council officer can fill in: one row per record, the times in words
 * ("Tuesday 10:00-12:00; 2nd Thursday monthly 18:30-20:00"), a numbered group of columns for each further
 * location or contact. An export is in the same layout, so export → edit → import updates the same records.
 * docs/ASSETS-CSV.md documents every column; the import page shows the same list.
 */

export type CsvColumn = { name: string; required: boolean; description: string; example: string };

const column = (name: string, description: string, example = '', required = false): CsvColumn => ({ name, required, description, example });

/** The columns before the location and contact groups. */
const leading: CsvColumn[] = [
  column('id', 'Leave blank for a new record. An export fills it in: keep it, and the row updates that record rather than adding another.'),
  column('name', 'The name people know it by.', 'Pemberton Community Centre (sample data)', true),
  column('kind', '“place” for a physical asset (a hall, a park, a library); “activity” for a group, club, activity or organisation.', 'place', true),
  column('status', 'active, inactive, defunct or temporarily closed. Blank means active.', 'active'),
  column('categories', 'Category ids or names, separated by semicolons (;). The import page lists them; your organisation’s own categories count too.', 'community-space; social-group', true),
  column('description', 'What it is and what happens there.', 'A hall and café for hire, with a weekly lunch club. Sample data.'),
  column('organisation', 'The organisation or group that runs it.', 'Pemberton Community Trust (sample data)', true),
  column('organisation_description', 'About that organisation.'),
  column('organisation_website', 'Its website, starting http:// or https://.', 'https://example.org'),
  column('organisation_email', 'Its email address.'),
  column('organisation_phone', 'Its phone number.'),
  column('website', 'The record’s own web page, starting http:// or https://.', 'https://example.org/pemberton'),
  column('email', 'The record’s own email address.', 'hello@example.org'),
  column('free', 'yes if it costs nothing, no if there is a charge (say what in fees), blank if not known.', 'yes'),
  column('fees', 'What it costs, in words.'),
  column('eligibility', 'Who it is for, in words.', ''),
  column('minimum_age', 'The youngest age it is for, a whole number.'),
  column('maximum_age', 'The oldest age it is for, a whole number.'),
  column('wheelchair_accessible', 'yes, no, or blank if not known.', 'yes'),
  column('accessibility', 'Access notes for the whole record.', 'Step-free entrance and an accessible toilet'),
  column(
    'times',
    'When it happens, each time separated by a semicolon: a weekday and times (Tuesday 10:00-12:00), several days (Monday and Thursday 09:30-11:00), every few weeks (every 2 weeks Friday 14:00-16:00), a weekday of the month (2nd Tuesday monthly 18:30-20:00, last Friday monthly), from or until a time (from 18:00), dates it runs between (from 2026-01-06 until 2026-07-21) and a note in brackets at the end (Lunch club).',
    'Tuesday 10:00-12:00 (Lunch club); 2nd Thursday monthly 18:30-20:00',
  ),
];

const locationFields = [
  { key: 'name', first: 'location_name', description: 'The name of the building or place, if it has one.', example: 'Pemberton Community Centre' },
  { key: 'address', first: 'address', description: 'The first line of the address.', example: '1 Sample Street' },
  { key: 'town', first: 'town', description: 'The town.', example: 'Wigan' },
  { key: 'postcode', first: 'postcode', description: 'The postcode: it places the location on the map, and must be one Patchwork knows. A place needs one.', example: 'WN5 9AB' },
  {
    key: 'longitude',
    first: 'longitude',
    description: 'Only to place it more exactly than its postcode does: decimal degrees (WGS84), such as -2.6532. Give both or neither; an export leaves them blank when the postcode places it. If you change the postcode, clear these.',
    example: '',
  },
  { key: 'latitude', first: 'latitude', description: 'With longitude, such as 53.5421.', example: '' },
  { key: 'accessibility', first: 'location_accessibility', description: 'Access notes for this location.', example: '' },
] as const;
type LocationKey = (typeof locationFields)[number]['key'];

const contactFields = [
  { key: 'name', description: 'A name: a person acting for the organisation, or a team or line (Bookings).', example: 'Bookings' },
  { key: 'role', description: 'Their role.', example: '' },
  { key: 'phone', description: 'A phone number. Keep the space after the dialling code, so a spreadsheet keeps the leading 0.', example: '01942 000000' },
  { key: 'email', description: 'An email address.', example: 'bookings@example.org' },
  { key: 'kind', description: 'organisation (a shared line or inbox), staff (a named person acting for it) or private individual (someone’s own details, never published). Blank means organisation.', example: 'organisation' },
  { key: 'public', description: 'yes to show it publicly, no to keep it for your organisation. Blank means yes, except for a private individual, whose details are never shown.', example: 'yes' },
] as const;
type ContactKey = (typeof contactFields)[number]['key'];

const trailing: CsvColumn[] = [
  column('last_checked', 'When someone last confirmed the record is right: 2026-04-01 or 01/04/2026. Blank means today. Records not checked for a year are flagged for review.'),
  column('sample', 'yes for invented records (sample data), which are labelled wherever they show. Blank means no.', 'yes'),
];

const locationColumn = (n: number, key: LocationKey) => (n === 1 ? locationFields.find((f) => f.key === key)!.first : `location_${n}_${key}`);
const contactColumn = (n: number, key: ContactKey) => (n === 1 ? `contact_${key}` : `contact_${n}_${key}`);

/** Every column of a file with this many locations and contacts per row, in order. */
export function csvColumns(locations = 1, contacts = 2): CsvColumn[] {
  const groups: CsvColumn[] = [];
  for (let n = 1; n <= locations; n++)
    for (const f of locationFields) groups.push(column(locationColumn(n, f.key), n === 1 ? f.description : `As ${f.first}, for location ${n}.`, n === 1 ? f.example : ''));
  for (let n = 1; n <= contacts; n++)
    for (const f of contactFields) groups.push(column(contactColumn(n, f.key), n === 1 ? f.description : `As contact_${f.key}, for contact ${n}.`, n === 1 ? f.example : ''));
  return [...leading, ...groups, ...trailing];
}

/** The downloadable template: the columns, and one example row marked as sample data. */
export function templateCsv(): string {
  const columns = csvColumns(1, 2);
  return csvText(columns.map((c) => c.name), [Object.fromEntries(columns.map((c) => [c.name, c.example]))]);
}

// ---- Times in words ---------------------------------------------------------------------------------------

const ordinalText: Record<string, string> = { '1': '1st', '2': '2nd', '3': '3rd', '4': '4th', '5': '5th', '-1': 'last' };
const and = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/** A schedule as the times column writes it; readTimes reads it back to the same schedule. */
export function formatSchedule(s: ScheduleInput): string {
  const days = s.byDay.split(',').map((token) => /^(-?\d)?([A-Z]{2})$/.exec(token)!);
  const parts: string[] = [];
  if (s.freq === 'WEEKLY') {
    if (s.interval > 1) parts.push(`every ${s.interval} weeks`);
    parts.push(and(days.map((d) => dayName(d[2] as DayCode))));
  } else {
    parts.push(and(days.map((d) => (d[1] ? `${ordinalText[d[1]] ?? d[1]} ${dayName(d[2] as DayCode)}` : dayName(d[2] as DayCode)))));
    parts.push(s.interval === 1 ? 'monthly' : `every ${s.interval} months`);
  }
  if (s.opensAt && s.closesAt) parts.push(`${s.opensAt}-${s.closesAt}`);
  else if (s.opensAt) parts.push(`from ${s.opensAt}`);
  else if (s.closesAt) parts.push(`until ${s.closesAt}`);
  if (s.validFrom) parts.push(`from ${s.validFrom}`);
  if (s.validTo) parts.push(`until ${s.validTo}`);
  if (s.description) parts.push(`(${s.description})`);
  return parts.join(' ');
}

const dayWords: Record<string, DayCode> = {
  monday: 'MO', mon: 'MO', mo: 'MO', tuesday: 'TU', tue: 'TU', tues: 'TU', tu: 'TU', wednesday: 'WE', wed: 'WE', we: 'WE',
  thursday: 'TH', thu: 'TH', thur: 'TH', thurs: 'TH', th: 'TH', friday: 'FR', fri: 'FR', fr: 'FR', saturday: 'SA', sat: 'SA', sa: 'SA', sunday: 'SU', sun: 'SU', su: 'SU',
};
const week: DayCode[] = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const ordinalWords: Record<string, number> = { '1st': 1, first: 1, '2nd': 2, second: 2, '3rd': 3, third: 3, '4th': 4, fourth: 4, '5th': 5, fifth: 5, last: -1 };
const tokenPattern = /\d{4}-\d{2}-\d{2}|\d{1,2}\/\d{1,2}\/\d{4}|\d{1,2}(?:[:.]\d{2})?\s?[ap]\.?m\.?(?![a-z])|\d{1,2}[:.]\d{2}|\d+(?:st|nd|rd|th)(?![a-z])|-?[1-5](?:mo|tu|we|th|fr|sa|su)(?![a-z])|[a-z]+|\d+|[-–—,&]|\S/g;

const frequencyWords: Record<string, [ScheduleInput['freq'], number | null]> = { weekly: ['WEEKLY', null], week: ['WEEKLY', null], fortnightly: ['WEEKLY', 2], monthly: ['MONTHLY', null], month: ['MONTHLY', null] };

/** A day word, allowing plurals ("Tuesdays"). */
const dayOf = (word: string): DayCode | null => dayWords[word] ?? (word.endsWith('s') ? (dayWords[word.slice(0, -1)] ?? null) : null);

function timeOf(token: string): string | null {
  const m = /^(\d{1,2})(?:[:.](\d{2}))?\s?(?:([ap])\.?m\.?)?$/.exec(token);
  if (!m || (!m[2] && !m[3])) return null;
  let hours = Number(m[1]);
  const minutes = Number(m[2] ?? '0');
  if (m[3]) {
    if (hours < 1 || hours > 12) return null;
    hours = (hours % 12) + (m[3] === 'p' ? 12 : 0);
  }
  if (hours > 23 || minutes > 59) return null;
  return `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

/** A date as yyyy-mm-dd, from yyyy-mm-dd or dd/mm/yyyy (what a spreadsheet saves); null when it is not a real date. */
export function dateOf(text: string): string | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const uk = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const [y, m, d] = iso ? [iso[1]!, iso[2]!, iso[3]!] : uk ? [uk[3]!, uk[2]!.padStart(2, '0'), uk[1]!.padStart(2, '0')] : [];
  if (!y) return null;
  const value = `${y}-${m}-${d}`;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value ? value : null;
}

/** Splits the times column on semicolons and line breaks, but not inside a note in brackets. */
function splitEntries(text: string): string[] {
  const entries: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if ((ch === ';' || ch === '\n' || ch === '\r') && depth === 0) {
      entries.push(current);
      current = '';
    } else current += ch;
  }
  entries.push(current);
  return entries.map((e) => e.trim()).filter((e) => e);
}

const example = 'write times like “Tuesday 10:00-12:00” or “2nd Thursday monthly 18:30-20:00”';

/** Reads one time ("2nd Tuesday monthly 18:30-20:00 (Quiz night)"), or says what is wrong with it. */
export function readSchedule(entry: string): ScheduleInput | string {
  let rest = entry.trim();
  let description: string | null = null;
  const open = rest.indexOf('(');
  if (open >= 0) {
    if (!rest.endsWith(')')) return `“${entry}”: a note in brackets goes at the end`;
    description = rest.slice(open + 1, -1).trim() || null;
    rest = rest.slice(0, open).trim();
  }
  const tokens = rest.toLowerCase().match(tokenPattern) ?? [];
  const days: string[] = [];
  let pending: { n: number; token: string }[] = [];
  let freq: ScheduleInput['freq'] | null = null;
  let interval: number | null = null;
  let opensAt: string | null = null;
  let closesAt: string | null = null;
  let validFrom: string | null = null;
  let validTo: string | null = null;
  let sawOrdinal = false;
  const setFreq = (f: ScheduleInput['freq'], n: number | null) => {
    if (freq && freq !== f) return `“${entry}” says both weekly and monthly`;
    freq = f;
    if (n !== null) interval = n;
    return null;
  };
  // "4th" with no day after it is the ORUK day code 4TH (the fourth Thursday).
  const settlePending = () => {
    if (pending.length === 1 && /^[1-5]th$/.test(pending[0]!.token)) {
      days.push(`${pending[0]!.n}TH`);
      sawOrdinal = true;
      pending = [];
      return null;
    }
    return pending.length ? `“${entry}”: say which day “${pending.map((p) => p.token).join(' ')}” is, like 2nd Tuesday` : null;
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const next = tokens[i + 1];
    const previous = tokens[i - 1];
    if (ordinalWords[token] !== undefined) {
      pending.push({ n: ordinalWords[token]!, token });
      continue;
    }
    // "1st and 3rd Monday": a list of ordinals waits for its day.
    if (pending.length && (token === 'and' || token === ',' || token === '&')) continue;
    const day = dayOf(token);
    if (day && pending.length) {
      for (const p of pending) days.push(`${p.n}${day}`);
      pending = [];
      sawOrdinal = true;
      continue;
    }
    const settled = settlePending();
    if (settled) return settled;
    const code = /^(-?[1-5])(mo|tu|we|th|fr|sa|su)$/.exec(token);
    if (code) {
      days.push(`${code[1]}${code[2]!.toUpperCase()}`);
      sawOrdinal = true;
      continue;
    }
    if (day) {
      if ((previous === 'to' || previous === '-' || previous === '–' || previous === '—') && days.length && /^[A-Z]{2}$/.test(days.at(-1)!)) {
        // A range of days: "Monday to Friday".
        const from = week.indexOf(days.at(-1) as DayCode);
        const to = week.indexOf(day);
        for (let d = (from + 1) % 7; ; d = (d + 1) % 7) {
          days.push(week[d]!);
          if (d === to) break;
        }
      } else days.push(day);
      continue;
    }
    const time = timeOf(token) ?? (token === 'noon' || token === 'midday' ? '12:00' : null);
    if (time) {
      if (previous === 'until' || previous === 'till' || previous === 'til') {
        if (closesAt) return `“${entry}” gives more than one closing time`;
        closesAt = time;
      } else if (opensAt === null && previous !== '-' && previous !== 'to' && previous !== '–' && previous !== '—') opensAt = time;
      else if (opensAt !== null && closesAt === null) closesAt = time;
      else if (opensAt === null) opensAt = time;
      else return `“${entry}” gives more than two times`;
      continue;
    }
    const date = /^\d/.test(token) ? dateOf(token) : null;
    if (date) {
      if (previous === 'from') validFrom = date;
      else if (previous === 'until' || previous === 'to' || previous === 'till' || previous === 'til') validTo = date;
      else return `“${entry}”: say whether ${token} is when it starts (from ${token}) or ends (until ${token})`;
      continue;
    }
    if (token === 'every') {
      const n = next && /^\d+$/.test(next) ? Number(next) : next === 'other' ? 2 : null;
      const unit = tokens[i + 2];
      if (n !== null && (unit === 'week' || unit === 'weeks' || unit === 'fortnight')) {
        const problem = setFreq('WEEKLY', unit === 'fortnight' ? n * 2 : n);
        if (problem) return problem;
        i += 2;
      } else if (n !== null && (unit === 'month' || unit === 'months')) {
        const problem = setFreq('MONTHLY', n);
        if (problem) return problem;
        i += 2;
      } else if (next === 'other' && tokens[i + 2] && dayOf(tokens[i + 2]!)) {
        const problem = setFreq('WEEKLY', 2);
        if (problem) return problem;
        i += 1;
      } else if (n !== null) return `“${entry}”: say every ${next} weeks or every ${next} months`;
      continue;
    }
    const marker = frequencyWords[token];
    if (marker) {
      const problem = setFreq(marker[0], marker[1]);
      if (problem) return problem;
      continue;
    }
    if (['and', ',', '&', 'on', 'the', 'of', 'each', 'at', 'from', 'to', 'until', 'till', 'til', '-', '–', '—', 'every', 'between'].includes(token)) continue;
    return `“${entry}”: “${token}” is not understood; ${example}`;
  }
  const settled = settlePending();
  if (settled) return settled;
  if (!days.length) return `“${entry}” does not say which day: ${example}`;
  if (sawOrdinal && freq === 'WEEKLY') return `“${entry}”: a day of the month (like 2nd Tuesday) happens monthly, not weekly`;
  const unique = [...new Set(days)];
  return {
    freq: sawOrdinal ? 'MONTHLY' : (freq ?? 'WEEKLY'),
    interval: interval ?? 1,
    byDay: unique.join(','),
    opensAt,
    closesAt,
    validFrom,
    validTo,
    description,
  };
}

/** The times column: every time it lists, or the problems with them. */
export function readTimes(text: string): { schedules: ScheduleInput[]; problems: string[] } {
  const schedules: ScheduleInput[] = [];
  const problems: string[] = [];
  for (const entry of splitEntries(text)) {
    const read = readSchedule(entry);
    if (typeof read === 'string') problems.push(read);
    else schedules.push(read);
  }
  return { schedules, problems };
}

export const formatTimes = (schedules: ScheduleInput[]) => schedules.map(formatSchedule).join('; ');

// ---- Reading a file -----------------------------------------------------------------------------------------

/** "Location name" and "location_name" are the same heading. */
const headingKey = (heading: string) => heading.trim().toLowerCase().replace(/[\s-]+/g, '_');

const yes = ['yes', 'y', 'true', '1'];
const no = ['no', 'n', 'false', '0'];


/** Reads a CSV (or .xlsx) in the template's layout as records to import; problems are named by row and column. */
export async function readAssetCsv(filePath: string, file: string): Promise<ImportPlan> {
  const problems = new ProblemList();
  const records: ImportRecord[] = [];
  let known: Set<string> | null = null;
  for await (const { row, values: raw } of readRows(filePath)) {
    if (problems.full) break;
    const values = new Map(Object.entries(raw).map(([k, v]) => [headingKey(k), unguardCell(v ?? '').trim()]));
    if (!known) {
      known = new Set(values.keys());
      const allowed = new Set(csvColumns(1, 1).map((c) => c.name));
      for (const heading of known) {
        const grouped = /^location_(\d+)_(name|address|town|postcode|longitude|latitude|accessibility)$/.exec(heading) ?? /^contact_(\d+)_(name|role|phone|email|kind|public)$/.exec(heading);
        if (!allowed.has(heading) && !(grouped && Number(grouped[1]) >= 2) && heading !== '') problems.add(1, 'The heading row', heading, `“${heading}” is not a column of the template: check its spelling against docs/ASSETS-CSV.md`);
      }
      for (const required of csvColumns(1, 1).filter((c) => c.required)) if (!known.has(required.name)) problems.add(1, 'The heading row', required.name, `The file needs a column headed ${required.name}`);
      if (problems.list.length) break;
    }
    if ([...values.values()].every((v) => v === '')) continue;
    // A NUL byte is not text to PostgreSQL: saving it would fail, so the cell is named here instead.
    for (const [heading, v] of values)
      if (v.includes('\u0000')) {
        problems.add(row, `Row ${row}`, heading, 'This cell holds a NUL character, which is not text: the file may be damaged');
        // Taken out, so the checks that still run (categories, ids) never send it to the database.
        values.set(heading, v.replaceAll('\u0000', ''));
      }
    records.push(readRow(row, values, problems));
  }
  return { format: 'csv', file, records, problems: problems.list, terms: null, notes: [], checkCoordinates: true };
}

/**
 * An uploaded CSV or Excel workbook. A CSV that is not UTF-8 is read as Windows-1252, which is what Excel's
 * plain “CSV (Comma delimited)” saves, so £ signs and curly quotes survive.
 */
export async function readAssetCsvBytes(bytes: Buffer, file: string): Promise<ImportPlan> {
  try {
    return await readUpload(bytes, file, (saved) => readAssetCsv(saved, file));
  } catch (error) {
    // A file that cannot be read at all.
    if (!(error instanceof ImportError)) throw error;
    throw new TransferError(
      file,
      error.problems.map((p) => ({ record: p.row, where: p.row ? `Row ${p.row}` : file, field: p.column === '(row)' ? '' : p.column, message: p.message })),
      error.message.split('\n')[0]!,
    );
  }
}

function readRow(row: number, values: Map<string, string>, problems: ProblemList): ImportRecord {
  const where = `Row ${row}`;
  const fail = (field: string, message: string) => problems.add(row, where, field, message);
  const get = (name: string) => values.get(name) ?? '';
  const opt = (name: string) => get(name) || null;
  const flag = (name: string): boolean | null => {
    const v = get(name).toLowerCase();
    if (v === '') return null;
    if (yes.includes(v)) return true;
    if (no.includes(v)) return false;
    fail(name, `“${get(name)}” is not yes or no`);
    return null;
  };
  const whole = (name: string): number | null => {
    const v = get(name);
    if (v === '') return null;
    if (!/^\d+$/.test(v)) {
      fail(name, `“${v}” is not a whole number`);
      return null;
    }
    return Number(v);
  };
  const decimal = (name: string): number | null => {
    const v = get(name);
    if (v === '') return null;
    if (!/^-?(\d+\.?\d*|\.\d+)$/.test(v)) {
      fail(name, `“${v}” is not a number in decimal degrees, like -2.6532`);
      return null;
    }
    return Number(v);
  };

  const idText = opt('id');
  if (idText && !uuidPattern.test(idText)) fail('id', `“${idText}” is not a record’s id: leave it blank for a new record, or keep the id an export gave`);
  const id = idText && uuidPattern.test(idText) ? idText.toLowerCase() : null;
  const kindText = get('kind').toLowerCase();
  const kind = (kindText === 'group' ? 'activity' : kindText) as AssetKind;
  const lastCheckedText = get('last_checked');
  const lastChecked = lastCheckedText ? dateOf(lastCheckedText) : null;
  if (lastCheckedText && !lastChecked) fail('last_checked', `“${lastCheckedText}” is not a date: use 2026-04-01 or 01/04/2026`);

  const times = readTimes(get('times'));
  for (const p of times.problems) fail('times', p);

  const locations: LocationInput[] = [];
  const locationGroups: number[] = [];
  for (let n = 1; ; n++) {
    const names = locationFields.map((f) => locationColumn(n, f.key));
    if (n > 1 && !names.some((c) => values.has(c))) break;
    if (!names.some((c) => get(c) !== '')) continue;
    const longitude = decimal(locationColumn(n, 'longitude'));
    const latitude = decimal(locationColumn(n, 'latitude'));
    locations.push({
      name: opt(locationColumn(n, 'name')),
      address1: opt(locationColumn(n, 'address')),
      city: opt(locationColumn(n, 'town')),
      postcode: opt(locationColumn(n, 'postcode')),
      longitude,
      latitude,
      accessibility: opt(locationColumn(n, 'accessibility')),
    });
    locationGroups.push(n);
  }

  const contacts: ContactInput[] = [];
  const contactGroups: number[] = [];
  for (let n = 1; ; n++) {
    const names = contactFields.map((f) => contactColumn(n, f.key));
    if (n > 1 && !names.some((c) => values.has(c))) break;
    if (!(['name', 'role', 'phone', 'email'] as const).some((k) => get(contactColumn(n, k)) !== '')) continue;
    const kindColumn = contactColumn(n, 'kind');
    const kindValue = get(kindColumn).toLowerCase().replace(/[\s_]+/g, '-');
    const contactKind = kindValue === '' ? 'organisation' : kindValue === 'organization' ? 'organisation' : kindValue === 'private' ? 'private-individual' : kindValue;
    if (!(contactKinds as readonly string[]).includes(contactKind)) fail(kindColumn, `“${get(kindColumn)}” is not organisation, staff or private individual`);
    const shown = flag(contactColumn(n, 'public'));
    contacts.push({
      kind: ((contactKinds as readonly string[]).includes(contactKind) ? contactKind : 'organisation') as ContactInput['kind'],
      name: opt(contactColumn(n, 'name')),
      title: opt(contactColumn(n, 'role')),
      phone: opt(contactColumn(n, 'phone')),
      email: opt(contactColumn(n, 'email')),
      public: shown ?? contactKind !== 'private-individual',
    });
    contactGroups.push(n);
  }

  const input: ServiceInput = {
    organisation: { name: get('organisation'), description: opt('organisation_description'), url: opt('organisation_website'), email: opt('organisation_email'), phone: opt('organisation_phone') },
    kind,
    name: get('name'),
    description: opt('description'),
    url: opt('website'),
    email: opt('email'),
    status: (get('status').toLowerCase() || 'active') as ServiceStatus,
    free: flag('free'),
    fees: opt('fees'),
    eligibility: opt('eligibility'),
    minimumAge: whole('minimum_age'),
    maximumAge: whole('maximum_age'),
    wheelchairAccessible: flag('wheelchair_accessible'),
    accessibility: opt('accessibility'),
    lastChecked,
    categories: get('categories')
      .split(';')
      .map((c) => c.trim())
      .filter((c) => c),
    locations,
    schedules: times.schedules,
    contacts,
    sample: flag('sample') ?? false,
  };
  const fields: Record<string, string> = {
    name: 'name',
    organisationName: 'organisation',
    kind: 'kind',
    status: 'status',
    description: 'description',
    url: 'website',
    email: 'email',
    minimumAge: 'minimum_age',
    maximumAge: 'maximum_age',
    lastChecked: 'last_checked',
    categories: 'categories',
    postcode: 'postcode',
    id: 'id',
  };
  return {
    number: row,
    where,
    fieldOf: (field) => {
      const indexed = /^(postcode|schedule|contact)(\d+)$/.exec(field);
      if (indexed?.[1] === 'postcode') return locationColumn(locationGroups[Number(indexed[2])] ?? 1, 'postcode');
      if (indexed?.[1] === 'schedule') return 'times';
      if (indexed?.[1] === 'contact') {
        const n = contactGroups[Number(indexed[2])] ?? 1;
        return n === 1 ? 'contact_*' : `contact_${n}_*`;
      }
      return fields[field] ?? field;
    },
    id,
    input,
    scheduleIds: input.schedules.map(() => null),
    contactIds: input.contacts.map(() => null),
    serviceLocationIds: input.locations.map(() => null),
    scheduleLocations: input.schedules.map(() => null),
    organisationSample: null,
  };
}

// ---- Writing a file ---------------------------------------------------------------------------------------


const csvText = (columns: string[], rows: Record<string, string>[]): string => spreadsheetCsv(columns, rows.map((r) => columns.map((c) => r[c] ?? '')));

const yesNo = (value: boolean | null) => (value === null ? '' : value ? 'yes' : 'no');

/** The rows of records in the template's layout; coordinates are left out where the postcode alone places the location. */
export function recordsCsv(records: ServiceRecord[], placedByPostcode: Set<string>): string {
  const locations = Math.max(1, ...records.map((r) => r.locations.length));
  const contacts = Math.max(1, ...records.map((r) => r.contacts.length));
  const columns = csvColumns(locations, contacts).map((c) => c.name);
  const rows = records.map((r) => {
    const row: Record<string, string> = {
      id: r.id,
      name: r.name,
      kind: r.kind,
      status: r.status,
      categories: r.categories.map((c) => c.id).join('; '),
      description: r.description ?? '',
      organisation: r.organisation.name,
      organisation_description: r.organisation.description ?? '',
      organisation_website: r.organisation.url ?? '',
      organisation_email: r.organisation.email ?? '',
      organisation_phone: r.organisation.phone ?? '',
      website: r.url ?? '',
      email: r.email ?? '',
      free: yesNo(r.free),
      fees: r.fees ?? '',
      eligibility: r.eligibility ?? '',
      minimum_age: r.minimumAge === null ? '' : String(r.minimumAge),
      maximum_age: r.maximumAge === null ? '' : String(r.maximumAge),
      wheelchair_accessible: yesNo(r.wheelchairAccessible),
      accessibility: r.accessibility ?? '',
      times: formatTimes(r.schedules),
      last_checked: r.lastChecked,
      sample: r.sample ? 'yes' : '',
    };
    r.locations.forEach((l, i) => {
      const n = i + 1;
      const exact = !placedByPostcode.has(l.id);
      row[locationColumn(n, 'name')] = l.name ?? '';
      row[locationColumn(n, 'address')] = l.address1 ?? '';
      row[locationColumn(n, 'town')] = l.city ?? '';
      row[locationColumn(n, 'postcode')] = l.postcode ?? '';
      row[locationColumn(n, 'longitude')] = exact && l.longitude !== null ? String(l.longitude) : '';
      row[locationColumn(n, 'latitude')] = exact && l.latitude !== null ? String(l.latitude) : '';
      row[locationColumn(n, 'accessibility')] = l.accessibility ?? '';
    });
    r.contacts.forEach((c, i) => {
      const n = i + 1;
      row[contactColumn(n, 'name')] = c.name ?? '';
      row[contactColumn(n, 'role')] = c.title ?? '';
      row[contactColumn(n, 'phone')] = c.phone ?? '';
      row[contactColumn(n, 'email')] = c.email ?? '';
      row[contactColumn(n, 'kind')] = c.kind === 'private-individual' ? 'private individual' : c.kind;
      row[contactColumn(n, 'public')] = c.public ? 'yes' : 'no';
    });
    return row;
  });
  return csvText(columns, rows);
}

/** Locations that sit exactly on their postcode's point, so an export can leave their coordinates to the postcode. */
async function placedByPostcode(db: Tx, records: ServiceRecord[]): Promise<Set<string>> {
  const ids = records.flatMap((r) => r.locations.map((l) => l.id));
  if (!ids.length) return new Set();
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select l.id from directory_locations l join postcodes p on p.postcode = l.postcode
        where l.id = any(${sql.param(ids)}::uuid[]) and ST_X(p.location) = ST_X(l.location) and ST_Y(p.location) = ST_Y(l.location)`,
  );
  return new Set(rows.map((r) => r.id));
}

/** An organisation's whole directory in the template's layout, with the contacts it keeps private marked “no”. */
export async function exportCsv(db: Tx, ownerOrganisationId: string): Promise<string> {
  const records = await getServices(db, await ownServiceIds(db, ownerOrganisationId));
  return recordsCsv(records, await placedByPostcode(db, records));
}
