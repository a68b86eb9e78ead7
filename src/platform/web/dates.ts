import type { FormErrors, Fail } from './forms.ts';
import { text, type Form } from './forms.ts';

/**
 * Dates typed into GOV.UK date inputs: three boxes named `<name>-day`, `<name>-month` and `<name>-year`, read into
 * ISO dates (YYYY-MM-DD), and checked the same way on every form.
 */

/** The three boxes as an ISO date; null when all are empty, 'invalid' when they make no real date. */
export function dateFromBoxes(day: string, month: string, year: string): string | null | 'invalid' {
  [day, month, year] = [day.trim(), month.trim(), year.trim()];
  if (!day && !month && !year) return null;
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) return 'invalid';
  const iso = `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
  // Date rolls 31 February over into March, so a real date is one that survives the round trip.
  const parsed = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== iso ? 'invalid' : iso;
}

/** The date input named `name` in a posted form. */
export const dateOf = (form: Form, name: string) => dateFromBoxes(text(form, `${name}-day`), text(form, `${name}-month`), text(form, `${name}-year`));

/** The three boxes' values for a stored date, to fill a form with. */
export function dateBoxes(name: string, iso: string | null): Form {
  if (!iso) return {};
  const [year, month, day] = iso.split('-') as [string, string, string];
  return { [`${name}-day`]: String(Number(day)), [`${name}-month`]: String(Number(month)), [`${name}-year`]: year };
}

/** A date something happened: required unless told, real, not after `today` nor before 1900; null after failing the field. */
export function pastDate(form: Form, name: string, what: string, today: string, fail: Fail, { required = true } = {}): string | null {
  const value = dateOf(form, name);
  if (value === null) {
    if (required) fail(name, `Enter the date ${what}`);
  } else if (value === 'invalid') fail(name, `The date ${what} must be a real date, for example 14 3 2026`);
  else if (value > today) fail(name, `The date ${what} must be today or in the past`);
  else if (value < '1900-01-01') fail(name, `The date ${what} must be after 1900`);
  else return value;
  return null;
}

/** An error summary links to a date's first box, which is where the field's id is. */
export function linkDateErrors(errors: FormErrors, dateFields: readonly string[]): FormErrors {
  for (const item of errors.summary) if (dateFields.includes(item.href.slice(1))) item.href = `${item.href}-day`;
  return errors;
}

/** Today in England, as YYYY-MM-DD: the date people mean when they say "today". */
export function todayInEngland(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** "3 April 2026". */
export function longDate(iso: string | null | undefined): string {
  if (!iso) return '';
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${iso.slice(0, 10)}T12:00:00Z`));
}
