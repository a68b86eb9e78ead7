import { sql, type SQL } from 'drizzle-orm';

/**
 * Financial years (April to March), as councils account for spend and social value. A year is known by the year it
 * starts in: 2024 for 2024-25.
 */

/** The financial year a date (ISO) falls in. */
export const financialYearOfDate = (iso: string) => Number(iso.slice(0, 4)) - (iso.slice(5, 7) < '04' ? 1 : 0);

/** The same, in SQL, for a date expression. */
export const financialYearOfSql = (date: SQL) => sql`extract(year from ${date} - interval '3 months')::int`;

/** "2024-25", as spend files and dashboards name years. */
export const financialYearLabel = (start: number) => `${start}-${String((start + 1) % 100).padStart(2, '0')}`;

/** "April 2025 to March 2026", in words. */
export const financialYearWords = (start: number) => `April ${start} to March ${start + 1}`;

/** The first and last day of a financial year. */
export const financialYearPeriod = (start: number) => ({ from: `${start}-04-01`, to: `${start + 1}-03-31` });

/** The first and last day of a financial year named as "2024-25", or null when it is not one. */
export function financialYearDates(label: string | undefined | null): { from: string; to: string } | null {
  const match = /^(\d{4})-(\d{2})$/.exec(label ?? '');
  if (!match || (Number(match[1]) + 1) % 100 !== Number(match[2])) return null;
  return financialYearPeriod(Number(match[1]));
}
