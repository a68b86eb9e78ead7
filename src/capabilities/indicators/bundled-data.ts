import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { analyze } from '../../platform/db/bulk.ts';
import type { Db } from '../../platform/db/database.ts';
import { deriveLookups, importBoundaries } from '../geography/boundaries.ts';
import { importCentroids } from '../geography/centroids.ts';
import { importLookup } from '../geography/lookups.ts';
import { importMsoaNames } from '../geography/msoa-names.ts';
import { importPostcodes } from '../geography/postcodes.ts';
import { importIodEdition } from './iod-import.ts';
import { deriveLsoa21Population, importPopulation } from './population.ts';
import { derivePopulationAgesLsoa21, importPopulationAges } from './population-ages.ts';
import { bundledDataSteps } from './schema.ts';
import { refreshSummaries } from './summaries.ts';

/** The national data shipped in data/ (see data/README.md for provenance and licences). */
export const bundledDataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data');

/**
 * The bundled data comes in two parts. The tables (lookups, populations, the three editions) load in under a
 * minute and a new installation waits for them. The national boundaries take several minutes on the
 * embedded engine, so `serve` loads them after it starts listening, one district's file per transaction so
 * requests are answered in between; until they finish, maps say so.
 */
export type Part = 'tables' | 'boundaries';

export type Progress = (done: number, total: number, label: string) => void;

/** Per-file progress and a signal to stop between files, for the steps that load many files. */
type StepContext = { progress: (done: number, total: number, label: string) => void; signal?: AbortSignal };
type Step = { id: string; part: Part; label: string; run: (db: Db, actor: Actor, context: StepContext) => Promise<unknown> };

const file = (...parts: string[]) => path.join(bundledDataDir, ...parts);

/** Loads a folder of boundary files one file per transaction; the step is only marked done once all are in. */
async function loadBoundaryFolder(db: Db, actor: Actor, { progress, signal }: StepContext, folder: string): Promise<void> {
  const dir = file('boundaries', folder);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.geojson.gz')).sort();
  let areas = 0;
  for (const [i, name] of files.entries()) {
    signal?.throwIfAborted();
    progress(i, files.length, name.replace('.geojson.gz', ''));
    areas += (await importBoundaries(db, path.join(dir, name), actor, { derive: false, audit: false })).areas;
  }
  await recordAudit(db, { actor, action: 'boundaries.imported', objectType: 'area_vintage', objectId: folder, details: { bundled: true, files: files.length, areas } });
}

/** The bundled NSPL extracts, one file per postcode area. */
const postcodeFiles = ['NSPL_NOV_2021_HX.csv.gz', 'NSPL_NOV_2021_SR.csv.gz', 'NSPL_NOV_2021_TF.csv.gz', 'NSPL_NOV_2021_WN.csv.gz'];

/**
 * In dependency order: areas and lookups first (then postcodes, and the centroids of the LSOAs the lookups
 * named), then denominators, then the editions that use both.
 */
export const bundledSteps: Step[] = [
  { id: 'lookup.lsoa11-ward19-lad19', part: 'tables', label: 'LSOA (2011) → ward → LAD lookup', run: (db, a) => importLookup(db, file('ons_lookups/LSOA11_WD19_LAD19_EW_best_fit.csv.gz'), a) },
  { id: 'lookup.lsoa21-ward24-lad24', part: 'tables', label: 'LSOA (2021) → ward → LAD lookup', run: (db, a) => importLookup(db, file('ons_lookups/LSOA21_WD24_LAD24_EW_best_fit.csv.gz'), a) },
  { id: 'names.msoa21', part: 'tables', label: 'MSOA (2021) names, House of Commons Library', run: (db, a) => importMsoaNames(db, file('ons_codes/msoa_la.csv.gz'), a) },
  { id: 'lookup.lsoa11-lsoa21', part: 'tables', label: 'LSOA (2011) → LSOA (2021) lookup', run: (db, a) => importLookup(db, file('ons_lookups/LSOA11_LSOA21_LAD22_EW.csv.gz'), a) },
  { id: 'lookup.lsoa11-ccg20', part: 'tables', label: 'LSOA (2011) → CCG lookup', run: (db, a) => importLookup(db, file('ons_lookups/LSOA11_CCG20_LAD20_EN.csv.gz'), a) },
  {
    // Four postcode areas (HX, SR, TF, WN): all that could be obtained; a council loads its own with import postcodes.
    id: 'postcodes.nspl2021',
    part: 'tables',
    label: 'Postcodes (NSPL November 2021: HX, SR, TF, WN)',
    run: (db, a, c) => importPostcodes(db, postcodeFiles.map((f) => file('postcodes', f)), a, { progress: c.progress }),
  },
  { id: 'centroids.lsoa11', part: 'tables', label: 'LSOA (2011) population-weighted centroids', run: (db, a) => importCentroids(db, file('centroids/lsoa11_population_weighted_centroids_england.csv.gz'), a) },
  { id: 'population.iod2019', part: 'tables', label: 'IoD2019 population denominators (mid-2015)', run: (db, a) => importPopulation(db, file('iod2019/File_6_-_IoD2019_Population_Denominators.csv.gz'), a) },
  { id: 'population.mid2020', part: 'tables', label: 'ONS population estimates (mid-2020)', run: (db, a) => importPopulation(db, file('population/sape_mid2020_lsoa11_syoa_persons_EW.csv.gz'), a) },
  { id: 'population.lsoa21', part: 'tables', label: '2021-LSOA population estimates', run: (db) => db.transaction((tx) => deriveLsoa21Population(tx)) },
  { id: 'population.ages', part: 'tables', label: 'ONS population by age band (mid-2020)', run: (db, a) => importPopulationAges(db, file('population/sape_mid2020_lsoa11_syoa_persons_EW.csv.gz'), a) },
  { id: 'edition.iod2015', part: 'tables', label: 'IoD2015', run: (db, a) => importIodEdition(db, 'iod2015', [file('iod2015/imd2015_england_lsoa11.csv.gz')], a) },
  {
    id: 'edition.iod2019',
    part: 'tables',
    label: 'IoD2019',
    run: (db, a) => importIodEdition(db, 'iod2019', [file('iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz'), file('uk_composite_imd/UK_IMD_E.csv.gz')], a),
  },
  { id: 'edition.iod2025', part: 'tables', label: 'IoD2025', run: (db, a) => importIodEdition(db, 'iod2025', [file('iod2025/imd2025_england_lsoa21.csv.gz')], a) },
  { id: 'boundaries.ward25', part: 'boundaries', label: 'Ward boundaries (2025)', run: (db, a, c) => loadBoundaryFolder(db, a, c, 'ward25') },
  { id: 'boundaries.lsoa21', part: 'boundaries', label: 'LSOA boundaries (2021)', run: (db, a, c) => loadBoundaryFolder(db, a, c, 'lsoa21') },
  { id: 'boundaries.lsoa11', part: 'boundaries', label: 'LSOA boundaries (2011)', run: (db, a, c) => loadBoundaryFolder(db, a, c, 'lsoa11') },
  {
    // With both LSOA geographies drawn, 2011 LSOAs that split share their population by area rather than
    // equally, which changes the 2021-LSOA estimates and so IoD2025's ward and district figures.
    id: 'boundaries.derived',
    part: 'boundaries',
    label: 'Lookups derived from boundaries',
    run: (db) =>
      db.transaction(async (tx) => {
        await deriveLookups(tx);
        // The derived 2025 ward lookup is tens of thousands of new rows; without fresh statistics (PGlite has no
        // autovacuum) the planner takes it for one row and overlap queries on 2025 wards run for minutes.
        await analyze(tx, 'areas', 'area_lookups');
        await deriveLsoa21Population(tx);
        await derivePopulationAgesLsoa21(tx);
        await refreshSummaries(tx, 'iod2025');
      }),
  },
];

async function completedSteps(db: Db): Promise<Set<string>> {
  return new Set((await db.select({ step: bundledDataSteps.step }).from(bundledDataSteps)).map((s) => s.step));
}

/**
 * Loads the bundled steps of the given parts that have not finished before, in order. Every step is
 * idempotent, so one interrupted part-way simply runs again. An aborted `signal` stops between files
 * (rejecting with the signal's reason) and nothing half-done is marked finished.
 */
export async function loadBundledData(db: Db, actor: Actor, progress: Progress = () => {}, parts: Part[] = ['tables', 'boundaries'], signal?: AbortSignal): Promise<void> {
  const done = await completedSteps(db);
  const steps = bundledSteps.filter((s) => parts.includes(s.part));
  for (const [i, step] of steps.entries()) {
    if (signal?.aborted) return;
    if (done.has(step.id)) continue;
    progress(i, steps.length, step.label);
    await step.run(db, actor, { signal, progress: (n, total, detail) => progress(i, steps.length, `${step.label}: ${detail} (${n + 1} of ${total})`) });
    await db.insert(bundledDataSteps).values({ step: step.id }).onConflictDoUpdate({ target: bundledDataSteps.step, set: { completedAt: new Date() } });
  }
  progress(steps.length, steps.length, 'done');
}

/** Whether every step of these parts has finished. */
export async function bundledDataLoaded(db: Db, parts: Part[] = ['tables']): Promise<boolean> {
  const done = await completedSteps(db);
  return bundledSteps.filter((s) => parts.includes(s.part)).every((s) => done.has(s.id));
}
