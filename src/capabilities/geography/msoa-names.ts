import path from 'node:path';
import { sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { ImportError, Problems, readRows } from '../../platform/data/csv.ts';
import { analyze } from '../../platform/db/bulk.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { ensureVintages, knownVintages, replaceLookups, upsertAreas } from './lookups.ts';

export type MsoaNamesResult = { msoas: number; lsoas: number; unmatched: number };

/**
 * Loads 2021 MSOAs under the names the House of Commons Library gave them ("Wetherby West", "Hyde Park and
 * Woodhouse") — names residents recognise, unlike ONS's "Leeds 001" — and links each 2021 LSOA to its MSOA.
 *
 * ONS names every LSOA after its MSOA plus a letter ("Leeds 001A" is in "Leeds 001"), and the MSOA file gives
 * each MSOA's ONS name, so the link is made by name. The 2021 LSOAs (from the LSOA → ward → LAD lookup) must be
 * loaded first; an LSOA whose name matches no MSOA is counted, not guessed.
 */
export async function importMsoaNames(db: Db, file: string, actor: Actor): Promise<MsoaNamesResult> {
  const problems = new Problems();
  const msoas = new Map<string, { code: string; name: string }>();
  for await (const { row, values } of readRows(file)) {
    const code = (values.MSOA21CD ?? '').trim();
    // Welsh MSOAs, and English 2011 MSOAs that no longer exist in 2021, are outside the 2021 geography.
    if (!code.startsWith('E')) continue;
    const onsName = (values.MSOANM ?? '').trim();
    const name = (values.MSOAHCLNM ?? '').trim() || onsName;
    if (!/^E02\d{6}$/.test(code)) problems.add(row, 'MSOA21CD', `"${code}" is not an MSOA code`);
    else if (!onsName) problems.add(row, 'MSOANM', `${code} has no name`);
    else if (msoas.has(onsName) && msoas.get(onsName)!.code !== code) problems.add(row, 'MSOANM', `"${onsName}" names two MSOAs`);
    else msoas.set(onsName, { code, name });
  }
  if (!msoas.size) throw new ImportError(file, [], `${file} has no English 2021 MSOAs (columns MSOA21CD, MSOANM, MSOAHCLNM).`);
  problems.throwIfAny(file);

  const source = path.basename(file);
  return db.transaction(async (tx) => {
    const lsoas = await queryRows<{ code: string; name: string }>(tx, sql`select code, name from areas where vintage = 'lsoa21'`);
    if (!lsoas.length) throw new ImportError(file, [], 'Load the 2021 LSOAs (the LSOA → ward → LAD lookup) before the MSOA names: LSOAs are linked to MSOAs by their names.');
    const links = [];
    let unmatched = 0;
    for (const lsoa of lsoas) {
      const msoa = msoas.get(lsoa.name.slice(0, -1));
      if (!msoa) unmatched++;
      else links.push({ fromVintage: 'lsoa21', fromCode: lsoa.code, toVintage: 'msoa21', toCode: msoa.code, method: 'exact', changeCode: null, source });
    }
    await ensureVintages(tx, ['msoa21']);
    await upsertAreas(tx, 'msoa21', [...msoas.values()]);
    await replaceLookups(tx, [['lsoa21', 'msoa21']], links, source);
    await analyze(tx, 'areas', 'area_lookups');
    await recordAudit(tx, { actor, action: 'lookup.imported', objectType: 'lookup', objectId: source, details: { layout: knownVintages.msoa21!.label, msoas: msoas.size, links: links.length, unmatched } });
    return { msoas: msoas.size, lsoas: links.length, unmatched };
  });
}
