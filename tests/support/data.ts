import { cliActor } from '../../src/platform/audit/audit.ts';
import type { Db } from '../../src/platform/db/database.ts';
import { bundledSteps } from '../../src/capabilities/indicators/bundled-data.ts';

/** The bundled steps for IoD2015 and IoD2019 on 2011 LSOAs: enough real data for page tests, in ~25 s on PGlite. */
export const iod2011Steps = ['lookup.lsoa11-ward19-lad19', 'population.iod2019', 'edition.iod2015', 'edition.iod2019'];

/** Runs some of the bundled data steps, by id, in their usual order. */
export async function loadBundledSteps(db: Db, ids: string[]): Promise<void> {
  const unknown = ids.filter((id) => !bundledSteps.some((s) => s.id === id));
  if (unknown.length) throw new Error(`No bundled steps ${unknown.join(', ')}`);
  for (const step of bundledSteps.filter((s) => ids.includes(s.id))) await step.run(db, cliActor, { progress: () => {} });
}
