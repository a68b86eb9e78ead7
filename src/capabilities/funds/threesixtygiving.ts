import { spreadsheetCsv } from '../../platform/data/csv.ts';
import { publicRecipientName, type GrantRow } from './grants.ts';
import { poundsOf } from './money.ts';

/**
 * The grants register in the 360Giving Data Standard (https://standard.threesixtygiving.org/): a JSON package
 * ({ grants: [...] }, checked in the tests against the standard's own schema, data/360giving/) and the same grants as
 * a spreadsheet with the standard's column titles. Both are public, so an individual is always "An individual" and
 * their identifier is the funder's own (360G-…-individual-<grant number>), never their name.
 */

/** The funder's identifier: the fund's 360Giving prefix when it has one, otherwise one derived from the organisation. */
export const fundingOrgIdOf = (grant: Pick<GrantRow, 'fundPrefix' | 'organisationSlug'>) => grant.fundPrefix?.trim() || `360G-patchwork-${grant.organisationSlug}`;

/** The standard's dates are JSON Schema date-times, so a calendar day is written as its midnight in UTC. */
const dateTime = (isoDate: string) => `${isoDate.slice(0, 10)}T00:00:00+00:00`;

type Location = { geoCode: string; geoCodeType: 'LSOA' | 'WD'; name: string };

/** Where the beneficiaries are, ward first: geoCodeType words from 360Giving's codelist (WD: electoral wards, LSOA). */
export function locationsOf(grant: Pick<GrantRow, 'beneficiaryWard25' | 'beneficiaryLsoa21' | 'wardName' | 'lsoaName'>): Location[] {
  const locations: Location[] = [];
  if (grant.beneficiaryWard25) locations.push({ geoCode: grant.beneficiaryWard25, geoCodeType: 'WD', name: grant.wardName ?? grant.beneficiaryWard25 });
  if (grant.beneficiaryLsoa21) locations.push({ geoCode: grant.beneficiaryLsoa21, geoCodeType: 'LSOA', name: grant.lsoaName ?? grant.beneficiaryLsoa21 });
  return locations;
}

const registeredNumbers = (orgId: string): { charityNumber?: string; companyNumber?: string } =>
  orgId.startsWith('GB-CHC-') ? { charityNumber: orgId.slice('GB-CHC-'.length) } : orgId.startsWith('GB-COH-') ? { companyNumber: orgId.slice('GB-COH-'.length) } : {};

/** One grant as a 360Giving grant object. */
export function threeSixtyGivingGrant(grant: GrantRow): Record<string, unknown> {
  const locations = locationsOf(grant);
  return {
    id: grant.identifier,
    title: grant.title,
    description: grant.description,
    currency: 'GBP',
    amountAwarded: poundsOf(grant.amountPence),
    awardDate: dateTime(grant.awardDate),
    ...(grant.plannedStart ? { plannedDates: [{ startDate: dateTime(grant.plannedStart), ...(grant.plannedEnd ? { endDate: dateTime(grant.plannedEnd) } : {}) }] } : {}),
    recipientOrganization: [{ id: grant.recipientOrgId, name: publicRecipientName(grant), ...registeredNumbers(grant.recipientOrgId) }],
    fundingOrganization: [{ id: fundingOrgIdOf(grant), name: grant.organisationName }],
    ...(grant.fundName ? { grantProgramme: [{ title: grant.fundName }] } : {}),
    ...(locations.length ? { beneficiaryLocation: locations } : {}),
    dateModified: grant.updatedAt.toISOString(),
  };
}

/**
 * The 360Giving package. The standard asks for at least one grant in a package, so a register with none gives
 * `{ grants: [] }`, which says so honestly rather than inventing one.
 */
export function threeSixtyGivingPackage(rows: GrantRow[]): { grants: Record<string, unknown>[] } {
  return { grants: rows.map(threeSixtyGivingGrant) };
}

/** The spreadsheet form's column titles, as in 360Giving's templates. */
export const spreadsheetColumns = [
  'Identifier',
  'Title',
  'Description',
  'Currency',
  'Amount Awarded',
  'Award Date',
  'Planned Dates:Start Date',
  'Planned Dates:End Date',
  'Recipient Org:Identifier',
  'Recipient Org:Name',
  'Recipient Org:Charity Number',
  'Recipient Org:Company Number',
  'Funding Org:Identifier',
  'Funding Org:Name',
  'Grant Programme:Title',
  'Beneficiary Location:Name',
  'Beneficiary Location:Geographic Code',
  'Beneficiary Location:Geographic Code Type',
  'Beneficiary Location:1:Name',
  'Beneficiary Location:1:Geographic Code',
  'Beneficiary Location:1:Geographic Code Type',
  'Last Modified',
] as const;

/** The register as a CSV spreadsheet in the 360Giving columns (amounts in pounds with pence, dates YYYY-MM-DD). */
export function threeSixtyGivingCsv(rows: GrantRow[]): string {
  return spreadsheetCsv(
    [...spreadsheetColumns],
    rows.map((g) => {
      const [first, second] = locationsOf(g);
      const numbers = registeredNumbers(g.recipientOrgId);
      return [
        g.identifier,
        g.title,
        g.description,
        'GBP',
        (g.amountPence / 100).toFixed(2),
        g.awardDate,
        g.plannedStart ?? '',
        g.plannedEnd ?? '',
        g.recipientOrgId,
        publicRecipientName(g),
        numbers.charityNumber ?? '',
        numbers.companyNumber ?? '',
        fundingOrgIdOf(g),
        g.organisationName,
        g.fundName ?? '',
        first?.name ?? '',
        first?.geoCode ?? '',
        first?.geoCodeType ?? '',
        second?.name ?? '',
        second?.geoCode ?? '',
        second?.geoCodeType ?? '',
        g.updatedAt.toISOString(),
      ];
    }),
  );
}
