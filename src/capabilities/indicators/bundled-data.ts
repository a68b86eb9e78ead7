import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Actor } from '../../platform/audit/audit.ts';
import type { Db } from '../../platform/db/database.ts';
import { importLookup } from '../geography/lookups.ts';
import { importIodEdition } from './iod-import.ts';
import { deriveLsoa21Population, importPopulation } from './population.ts';
import { editions } from './schema.ts';

/** The national data shipped in data/ (see data/README.md for provenance and licences). */
export const bundledDataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data');

type Step = { label: string; run: (db: Db, actor: Actor) => Promise<unknown> };

const file = (...parts: string[]) => path.join(bundledDataDir, ...parts);

/** In dependency order: areas and lookups first, then denominators, then the editions that use both. */
export const bundledSteps: Step[] = [
  { label: 'LSOA (2011) → ward → LAD lookup', run: (db, a) => importLookup(db, file('ons_lookups/LSOA11_WD19_LAD19_EW_best_fit.csv.gz'), a) },
  { label: 'LSOA (2021) → ward → LAD lookup', run: (db, a) => importLookup(db, file('ons_lookups/LSOA21_WD24_LAD24_EW_best_fit.csv.gz'), a) },
  { label: 'LSOA (2011) → LSOA (2021) lookup', run: (db, a) => importLookup(db, file('ons_lookups/LSOA11_LSOA21_LAD22_EW.csv.gz'), a) },
  { label: 'LSOA (2011) → CCG lookup', run: (db, a) => importLookup(db, file('ons_lookups/LSOA11_CCG20_LAD20_EN.csv.gz'), a) },
  { label: 'IoD2019 population denominators (mid-2015)', run: (db, a) => importPopulation(db, file('iod2019/File_6_-_IoD2019_Population_Denominators.csv.gz'), a) },
  { label: 'ONS population estimates (mid-2020)', run: (db, a) => importPopulation(db, file('population/sape_mid2020_lsoa11_syoa_persons_EW.csv.gz'), a) },
  { label: '2021-LSOA population estimates', run: (db) => db.transaction((tx) => deriveLsoa21Population(tx)) },
  { label: 'IoD2015', run: (db, a) => importIodEdition(db, 'iod2015', [file('iod2015/imd2015_england_lsoa11.csv.gz')], a) },
  {
    label: 'IoD2019',
    run: (db, a) => importIodEdition(db, 'iod2019', [file('iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz'), file('uk_composite_imd/UK_IMD_E.csv.gz')], a),
  },
  { label: 'IoD2025', run: (db, a) => importIodEdition(db, 'iod2025', [file('iod2025/imd2025_england_lsoa21.csv.gz')], a) },
];

const bundledEditions = ['iod2015', 'iod2019', 'iod2025'];

export type Progress = (done: number, total: number, label: string) => void;

export async function loadBundledData(db: Db, actor: Actor, progress: Progress = () => {}): Promise<void> {
  for (const [i, step] of bundledSteps.entries()) {
    progress(i, bundledSteps.length, step.label);
    await step.run(db, actor);
  }
  progress(bundledSteps.length, bundledSteps.length, 'done');
}

/**
 * Whether the bundled load ever finished: every bundled edition is there. A start interrupted part-way
 * (the load takes about a minute) is completed on the next start, since every step is idempotent.
 */
export async function bundledDataLoaded(db: Db): Promise<boolean> {
  const loaded = new Set((await db.select({ id: editions.id }).from(editions)).map((e) => e.id));
  return bundledEditions.every((id) => loaded.has(id));
}
