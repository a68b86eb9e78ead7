import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { prng } from '../community-assets/sample.ts';
import { placePostcodes } from '../geography/place-postcode.ts';

/**
 * An invented transparency file for demonstrations and benchmarks, shaped as councils publish them (payments
 * over £500 with service area, expense type, date, transaction number, amount, supplier and postcode), with what
 * real files have: a few thousand suppliers paid again and again (a long tail of small ones), firms spelt two
 * ways, redacted individuals, credit notes and amounts with pence. Every supplier is named "… (sample data)".
 */

export type SampleSpendOptions = {
  rows: number;
  suppliers: number;
  /** Financial years covered, from April of the first: [2023] is 2023-24. */
  years: number[];
  /** Postcodes to give suppliers: in the home district, and elsewhere. Some suppliers get none. */
  localPostcodes: readonly string[];
  otherPostcodes: readonly string[];
  seed?: number;
};

const departments = ['Adult Social Care', 'Children’s Services', 'Highways', 'Waste and Recycling', 'Housing', 'Public Health', 'Education', 'Parks and Leisure', 'Libraries', 'Regeneration', 'Planning', 'Corporate ICT', 'Finance', 'Legal', 'Human Resources', 'Communities', 'Environmental Health', 'Transport', 'Property', 'Culture'];
const expenses = ['Care packages', 'Professional fees', 'Repairs and maintenance', 'Grants', 'Equipment', 'Consultancy', 'Agency staff', 'Contract payments', 'Software licences', 'Fuel', 'Catering', 'Training'];
const firstWords = ['Northern', 'Pennine', 'Riverside', 'Oak', 'Beacon', 'Millgate', 'Acme', 'Harbour', 'Summit', 'Canal', 'Greenfield', 'Meadow', 'Redbrick', 'Kingsway', 'Parkside', 'Ironbridge', 'Westfield', 'Brookside', 'Hilltop', 'Unity'];
const secondWords = ['Care', 'Construction', 'Cleaning', 'Supplies', 'Transport', 'Consulting', 'Catering', 'Facilities', 'Print', 'Legal', 'Landscapes', 'Electrical', 'Software', 'Training', 'Homes', 'Security', 'Plant Hire', 'Recruitment'];
const businessForms = [' Ltd', ' Limited', ' PLC', ' LLP', ' Ltd', ' Ltd'];
const socialForms = [' Community Association', ' Trust', ' CIC', ' Foundation', ' Community Interest Company'];

/** Writes the file; resolves when it is on disk. */
export async function writeSampleSpendFile(file: string, options: SampleSpendOptions): Promise<void> {
  const random = prng(options.seed ?? 13);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const suppliers = Array.from({ length: options.suppliers }, (_, i) => {
    const roll = random();
    const base = `${pick(firstWords)} ${pick(secondWords)} ${i + 1}`;
    const name = roll < 0.03 ? 'REDACTED' : roll < 0.18 ? `${base}${pick(socialForms)} (sample data)` : `${base}${pick(businessForms)} (sample data)`;
    const place = random();
    const postcode = roll < 0.03 || place >= 0.85 ? '' : place < 0.45 && options.localPostcodes.length ? pick(options.localPostcodes) : options.otherPostcodes.length ? pick(options.otherPostcodes) : '';
    // One firm in twenty-five is also published under another spelling of its legal form.
    const other = roll >= 0.18 && random() < 0.04 ? name.replace(/ (Ltd|Limited|PLC|LLP) \(sample data\)$/, (_m, form: string) => ` ${form === 'Ltd' ? 'Limited' : 'Ltd'} (sample data)`) : null;
    return { name, other, postcode, department: pick(departments) };
  });
  const out = createWriteStream(file);
  const write = async (line: string) => {
    if (!out.write(line)) await once(out, 'drain');
  };
  await write('Body Name,Service Area,Expense Type,Payment Date,Transaction Number,Amount,Supplier Name,Supplier Postcode\r\n');
  const days = options.years.length * 365;
  for (let i = 0; i < options.rows; i++) {
    // A long tail: the first suppliers are paid far more often than the last.
    const s = suppliers[Math.floor(options.suppliers * random() ** 2.2)]!;
    const day = new Date(Date.UTC(options.years[0]!, 3, 1) + Math.floor(random() * days) * 86_400_000);
    const date = `${String(day.getUTCDate()).padStart(2, '0')}/${String(day.getUTCMonth() + 1).padStart(2, '0')}/${day.getUTCFullYear()}`;
    const pence = Math.round(50_000 * Math.exp(random() * 6));
    const credit = random() < 0.02;
    const amount = `${credit ? '-' : ''}${Math.floor(pence / 100)}.${String(pence % 100).padStart(2, '0')}`;
    // Most suppliers work for one service area; the big ones are paid by many.
    const department = random() < 0.9 ? s.department : pick(departments);
    const name = s.other && random() < 0.5 ? s.other : s.name;
    await write(`Sample Council (sample data),${department},${pick(expenses)},${date},S${String(i + 1).padStart(8, '0')},${amount},"${name}",${s.postcode}\r\n`);
  }
  out.end();
  await once(out, 'finish');
}

/** Postcodes loaded with a place: those in the district, and some elsewhere, for a sample file's suppliers. */
export async function samplePostcodes(db: Db, lad25: string, limit = 2000): Promise<{ local: string[]; other: string[] }> {
  const candidates = await queryRows<{ postcode: string }>(db, sql`select postcode from postcodes where location is not null order by md5(postcode) limit ${limit * 4}`);
  const places = await db.transaction((tx) => placePostcodes(tx, candidates.map((c) => c.postcode)));
  const placed = [...places].filter(([, p]) => p.lad25);
  return { local: placed.filter(([, p]) => p.lad25 === lad25).slice(0, limit).map(([code]) => code), other: placed.filter(([, p]) => p.lad25 !== lad25).slice(0, limit).map(([code]) => code) };
}
