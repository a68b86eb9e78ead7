/**
 * Councils publish "payments over £500" with their own column names and formats. A source's mapping (which column
 * holds which field) is guessed from the headings the first time, confirmed by a person, and remembered; every value
 * is then read here, strictly: a row that can't be read is named with its reason, never guessed at.
 */

export const spendFields = ['paidOn', 'supplier', 'amount', 'department', 'purpose', 'reference', 'supplierPostcode', 'supplierId'] as const;
export type SpendField = (typeof spendFields)[number];
export type SpendMapping = Partial<Record<SpendField, string>>;
/** The fields a file must have for its payments to mean anything. */
export const requiredSpendFields: SpendField[] = ['paidOn', 'supplier', 'amount'];

export const spendFieldNames: Record<SpendField, string> = {
  paidOn: 'Payment date',
  supplier: 'Supplier name',
  amount: 'Amount',
  department: 'Department or service area',
  purpose: 'Purpose or expense type',
  reference: 'Transaction reference',
  supplierPostcode: 'Supplier postcode',
  supplierId: 'Supplier id (the council’s own)',
};

/** Headings seen in published files for each field, in order of preference (compared without case, spaces or punctuation). */
const headings: Record<SpendField, string[]> = {
  paidOn: ['payment date', 'date paid', 'paid date', 'date of payment', 'transaction date', 'invoice payment date', 'posting date', 'date', 'payment_date'],
  supplier: ['supplier name', 'supplier', 'vendor name', 'vendor', 'payee name', 'payee', 'beneficiary', 'merchant name', 'creditor name', 'creditor'],
  amount: ['amount', 'net amount', 'amount paid', 'value', 'total', 'net value', 'payment amount', 'amount (£)', 'amount £', 'line amount', 'gross amount'],
  department: ['department', 'directorate', 'service area', 'service', 'department name', 'cost centre description', 'service division', 'body name', 'portfolio'],
  purpose: ['purpose', 'expense type', 'expenditure category', 'description', 'expense description', 'subjective description', 'purpose of spend', 'expense area', 'account description', 'category'],
  reference: ['transaction number', 'transaction id', 'transaction reference', 'reference', 'payment reference', 'invoice number', 'document number', 'voucher number', 'ref'],
  supplierPostcode: ['supplier postcode', 'postcode', 'vendor postcode', 'post code'],
  supplierId: ['supplier id', 'supplier number', 'vendor id', 'vendor number', 'supplier code', 'creditor number', 'creditor id'],
};

const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9£]+/g, '');

/** The likely column for each field, each column used once; fields with no likely column are left out. */
export function guessMapping(headers: readonly string[]): SpendMapping {
  const mapping: SpendMapping = {};
  const used = new Set<string>();
  for (const field of spendFields) {
    for (const candidate of headings[field]) {
      const found = headers.find((h) => !used.has(h) && squash(h) === squash(candidate));
      if (found) {
        mapping[field] = found;
        used.add(found);
        break;
      }
    }
  }
  return mapping;
}

/** What is wrong with a mapping for these headings, in words; empty when it can be used. */
export function mappingProblems(mapping: SpendMapping, headers: readonly string[]): string[] {
  const problems: string[] = [];
  for (const field of requiredSpendFields) if (!mapping[field]) problems.push(`Choose the column that holds the ${spendFieldNames[field].toLowerCase()}`);
  for (const [field, column] of Object.entries(mapping) as [SpendField, string][]) {
    if (column && !headers.includes(column)) problems.push(`The file has no column “${column}” for the ${spendFieldNames[field].toLowerCase()}`);
  }
  const columns = Object.values(mapping).filter(Boolean);
  const twice = columns.find((c, i) => columns.indexOf(c) !== i);
  if (twice) problems.push(`The column “${twice}” is chosen for two fields: choose it for one`);
  return problems;
}

/**
 * An amount in pence from a published cell: "1234.56", "£1,234.56", "-45.00", "(45.00)" and "45.00 CR" (credit notes)
 * all read; anything else is an error in words. Whole pence only: "12.345" is refused rather than rounded.
 */
export function amountInPence(cell: string): number | { error: string } {
  let s = cell.trim().replace(/\s+/g, ' ');
  if (!s) return { error: 'The amount is empty' };
  let negative = false;
  if (/^\(.*\)$/.test(s)) {
    negative = true;
    s = s.slice(1, -1).trim();
  }
  if (/\s?(CR|CREDIT)$/i.test(s)) {
    negative = !negative;
    s = s.replace(/\s?(CR|CREDIT)$/i, '').trim();
  }
  if (/^[-−]/.test(s)) {
    negative = !negative;
    s = s.slice(1).trim();
  }
  s = s.replace(/^£\s?/, '');
  if (/,/.test(s)) {
    if (!/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) return { error: `“${cell.trim().slice(0, 30)}” is not an amount: commas may only separate thousands` };
    s = s.replace(/,/g, '');
  }
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(s);
  if (!match) return { error: `“${cell.trim().slice(0, 30)}” is not an amount in pounds and pence` };
  const pence = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(pence) || pence > 1e13) return { error: `“${cell.trim().slice(0, 30)}” is too large to be one payment` };
  return negative ? -pence : pence;
}

const months: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };

/**
 * A payment date as councils write it: 2025-04-07, 07/04/2025, 7/4/25, 07-Apr-2025, 7 April 2025, or an Excel serial
 * day number. Day before month, as in England; a two-digit year is 20xx. Returns YYYY-MM-DD or an error in words.
 */
export function paymentDate(cell: string): string | { error: string } {
  const s = cell.trim();
  if (!s) return { error: 'The payment date is empty' };
  let y: number, m: number, d: number;
  let match: RegExpExecArray | null;
  if ((match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+Z?)?$/.exec(s))) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?: [\d:]+)?$/.exec(s))) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{1,2})[ -]([A-Za-z]{3,9})[ -](\d{2}|\d{4})$/.exec(s)) && months[match[2]!.toLowerCase().slice(0, 3)]) {
    d = Number(match[1]);
    m = months[match[2]!.toLowerCase().slice(0, 3)]!;
    y = Number(match[3]);
  } else if ((match = /^(\d{5})$/.exec(s)) && Number(s) > 20000 && Number(s) < 80000) {
    // Excel's serial day (1900 system): day 25569 is 1 January 1970.
    const date = new Date((Number(s) - 25569) * 86_400_000);
    return date.toISOString().slice(0, 10);
  } else return { error: `“${s.slice(0, 30)}” is not a date: write it like 07/04/2025 or 2025-04-07` };
  if (y < 100) y += 2000;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return { error: `“${s.slice(0, 30)}” is not a real date` };
  if (y < 2000 || y > 2100) return { error: `“${s.slice(0, 30)}” is outside the years a payment can have` };
  return date.toISOString().slice(0, 10);
}
