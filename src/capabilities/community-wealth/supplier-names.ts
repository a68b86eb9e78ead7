/**
 * Supplier names as councils publish them vary for one firm: "ACME LTD", "Acme Limited", "Acme Ltd.", "The Acme
 * Company Ltd". A normalised key brings those together so duplicates are suggested (never merged silently): upper
 * case, "&" as AND, punctuation gone, a leading THE and trailing legal forms dropped, spaces single.
 */

/** Legal forms dropped from the end of a name, longest first so "LIMITED LIABILITY PARTNERSHIP" goes before "LIMITED". */
const legalForms = [
  'LIMITED LIABILITY PARTNERSHIP',
  'COMMUNITY INTEREST COMPANY',
  'CHARITABLE INCORPORATED ORGANISATION',
  'PUBLIC LIMITED COMPANY',
  'COMPANY LIMITED BY GUARANTEE',
  'LIMITED',
  'LTD',
  'PLC',
  'LLP',
  'CIC',
  'CIO',
  'CO',
  'COMPANY',
  'UK',
  'GROUP',
  'SERVICES',
].sort((a, b) => b.length - a.length);

export function supplierKey(name: string): string {
  let s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/&/g, ' AND ')
    .replace(/['’`]/g, '')
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim()
    .replace(/\s+/g, ' ');
  s = s.replace(/^THE /, '');
  // Drop legal forms from the end repeatedly ("ACME UK LTD" → "ACME"), but never the whole name.
  for (let changed = true; changed; ) {
    changed = false;
    for (const form of legalForms) {
      if (s.endsWith(` ${form}`) && s.length > form.length + 1) {
        s = s.slice(0, -(form.length + 1)).trim();
        changed = true;
      }
    }
  }
  return s;
}

/**
 * Whether a published supplier name looks like a person rather than an organisation: councils redact individuals
 * inconsistently ("REDACTED", "Personal Information", a bare name), and an individual's name must never be published.
 */
export function looksLikeIndividual(name: string): boolean {
  const key = name.trim().toUpperCase();
  if (/\b(REDACTED|WITHHELD|PERSONAL (DATA|INFORMATION)|INDIVIDUAL|PRIVATE PERSON|NAME REMOVED)\b/.test(key)) return true;
  if (/\b(LTD|LIMITED|PLC|LLP|CIC|CIO|TRUST|COUNCIL|CHARITY|ASSOCIATION|SOCIETY|CLUB|GROUP|SERVICES|CENTRE|CENTER|COLLEGE|SCHOOL|UNIVERSITY|NHS|CHURCH|PARTNERSHIP|COMPANY|CO|AND|&|FOUNDATION|HOUSING|HOMES|CARE|UK|INTERNATIONAL|SOLUTIONS|CONSULTING|ENTERPRISES|AGENCY|BOARD|AUTHORITY|DEPARTMENT|OFFICE|INC|LLC|GMBH)\b/.test(key)) return false;
  // "MR J SMITH", "Smith J", "Jane Smith": a title, or two or three words with no organisation word.
  if (/^(MR|MRS|MS|MISS|DR|MX)\.? /.test(key)) return true;
  const words = key.split(/\s+/).filter(Boolean);
  return words.length >= 2 && words.length <= 3 && words.every((w) => /^[A-Z][A-Z'.-]*$/.test(w));
}

/** What is shown, exported or audited in place of an individual's name. */
export const withheldName = 'Individual (name withheld)';

/** Whether a supplier is, or may be, a person: marked as an individual, or published under a name that looks like one. */
export const isIndividual = (s: { name: string; kind: string }) => s.kind === 'individual' || looksLikeIndividual(s.name);

/** A supplier's name as it may be shown: an individual's never is. */
export const shownName = (s: { name: string; kind: string }) => (isIndividual(s) ? withheldName : s.name);
