import path from 'node:path';
import { cliActor } from '../../platform/audit/audit.ts';
import type { Db } from '../../platform/db/database.ts';
import { deriveLookups } from '../geography/boundaries.ts';
import { importPostcodes } from '../geography/postcodes.ts';
import { bundledDataDir } from '../indicators/bundled-data.ts';
import { loadWiganBoundaries } from '../community-assets/testing.ts';
import { createCampaign, getCampaign, questionsOf, type Campaign, type NewCampaign, type Question } from './campaigns.ts';

/**
 * What community voice's tests share: Wigan's real 2021 LSOAs and 2025 wards, the LSOA → ward lookup derived
 * from them, and Wigan's real postcodes (WN), so a response given with a postcode is placed as in production.
 */
export async function loadWiganPlaces(db: Db): Promise<void> {
  await loadWiganBoundaries(db);
  await db.transaction((tx) => deriveLookups(tx));
  await importPostcodes(db, path.join(bundledDataDir, 'postcodes/NSPL_NOV_2021_WN.csv.gz'), cliActor);
}

/** Wigan (E08000010): the district the sample campaigns listen in. */
export const wigan = 'E08000010';

/** A campaign of sample data for tests: one free-text, one choice and one scale question unless told otherwise. */
export async function sampleCampaign(db: Db, organisationId: string, overrides: Partial<NewCampaign> = {}): Promise<{ campaign: Campaign; questions: Question[] }> {
  const id = await createCampaign(
    db,
    {
      organisationId,
      title: 'Proud of Pemberton (sample data)',
      summary: 'What are you proud of here, and what should change?',
      kind: 'listening',
      lad25: null,
      acceptsPublic: true,
      opensOn: null,
      closesOn: null,
      sample: true,
      questions: [
        { kind: 'text', prompt: 'What are you proud of about where you live?' },
        { kind: 'choice', prompt: 'How long have you lived here?', options: ['Less than a year', '1 to 5 years', 'More than 5 years'] },
        { kind: 'scale', prompt: 'How much do you feel you belong here?', scaleMin: 1, scaleMax: 5, scaleMinLabel: 'Not at all', scaleMaxLabel: 'Very much' },
      ],
      ...overrides,
    },
    cliActor,
  );
  return { campaign: (await getCampaign(db, id))!, questions: await questionsOf(db, id) };
}
