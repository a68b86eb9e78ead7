import path from 'node:path';
import { cliActor } from '../../platform/audit/audit.ts';
import type { Db } from '../../platform/db/database.ts';
import { importBoundaries } from '../geography/boundaries.ts';
import { bundledDataDir } from '../indicators/bundled-data.ts';
import type { ServiceInput } from './service.ts';

/**
 * What the directory's tests share: Wigan's real 2021 LSOA and 2025 ward boundaries (the bundled postcodes
 * cover Wigan, so records placed by postcode land in them), and an invented record to start from.
 */
export async function loadWiganBoundaries(db: Db): Promise<void> {
  for (const vintage of ['lsoa21', 'ward25']) await importBoundaries(db, path.join(bundledDataDir, `boundaries/${vintage}/E08000010.geojson.gz`), cliActor);
}

/** A place with nothing but a name, its organisation and a category; tests add what they are about (sample data). */
export function sampleRecord(overrides: Partial<ServiceInput> = {}): ServiceInput {
  return {
    organisation: { name: 'Pemberton Community Trust (sample data)', description: null, url: null, email: null, phone: null },
    kind: 'place',
    name: 'Pemberton Community Centre (sample data)',
    description: null,
    url: null,
    email: null,
    status: 'active',
    free: null,
    fees: null,
    eligibility: null,
    minimumAge: null,
    maximumAge: null,
    wheelchairAccessible: null,
    accessibility: null,
    lastChecked: null,
    categories: ['community-space'],
    locations: [],
    schedules: [],
    contacts: [],
    ...overrides,
  };
}
