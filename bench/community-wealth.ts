/**
 * Benchmark for community wealth (issue 13): importing a million payments, and the local spend dashboards over
 * them, on both engines. Targets: one million payment rows import in under 60 s on PostgreSQL; the dashboard for a
 * district answers in under 300 ms.
 *
 * 1. Import: a sample transparency file of 1,000,000 payments (about 100 MB; writeSampleSpendFile: 6,250
 *    invented suppliers paid with a long tail, 20 departments, three financial years, 2% credit notes, firms spelt
 *    two ways, redacted individuals, 85% of suppliers with a postcode from the bundled postcode areas, 45% of them in
 *    Wigan) imported by importSpend as the Spend files page and `patchwork import spend` do: read and check every
 *    row, find or make and place the suppliers, COPY into staging, insert payments skipping lines already there, and
 *    sum them into spend_summary, in one transaction. The comparison: the same file COPYed as it is into a table of
 *    text columns (copyCsvFile), the least any import of it can take.
 * 2. The district dashboard (Wigan, the home district): localSpend alone, and GET
 *    /organisations/:slug/community-wealth by app.inject as a signed-in member (figures, chart, tables, the map's
 *    data and the HTML), twenty times each after warming up. A neighbourhood's dashboard (20 of Wigan's 2021 LSOAs)
 *    likewise. The comparison: one pass over the payments (the sum of every payment's amount), which any dashboard
 *    reading payments rather than the summary would take at least.
 *
 * Data: the full bundled national data (through bench/support/national.ts: a throw-away copy of
 * var/bench/national/pglite and of the PostgreSQL database patchwork_bench, loaded the first time). Each engine is
 * measured in a child process of its own.
 *
 * Run: npm run bench:community-wealth (PATCHWORK_BENCH_ENGINES=pglite or =postgres runs one engine only; `-- --quick`
 * imports 100,000 payments, does not wait for a quiet machine and writes nothing). Writes its table into
 * docs/PERFORMANCE.md between the bench:community-wealth markers.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { cliActor } from '../src/platform/audit/audit.ts';
import { memberships, organisations } from '../src/platform/auth/schema.ts';
import { createSession, sessionCookieName } from '../src/platform/auth/sessions.ts';
import { loadConfig } from '../src/platform/config/config.ts';
import { copyCsvFile } from '../src/platform/db/bulk.ts';
import { queryRows, type Database, type Db } from '../src/platform/db/database.ts';
import { buildApp } from '../src/platform/web/app.ts';
import { createUser } from '../src/capabilities/accounts/service.ts';
import { localSpend } from '../src/capabilities/community-wealth/local-spend.ts';
import { samplePostcodes, writeSampleSpendFile } from '../src/capabilities/community-wealth/sample.ts';
import { spendSources } from '../src/capabilities/community-wealth/schema.ts';
import { guessMapping } from '../src/capabilities/community-wealth/spend-columns.ts';
import { importSpend } from '../src/capabilities/community-wealth/spend-import.ts';
import { createNeighbourhood } from '../src/capabilities/neighbourhoods/service.ts';
import { ms, stats, time, type Stats } from './support/measure.ts';
import { benchLog, nationalSteps, runTableBench, type Row } from './support/national.ts';

const quick = process.argv.includes('--quick') || process.env.PATCHWORK_BENCH_QUICK === '1';
const sizes = quick ? { payments: 100_000, n: 5, warm: 1 } : { payments: 1_000_000, n: 20, warm: 3 };
const wigan = { code: 'E08000010', name: 'Wigan' };
const importTarget = 60_000;
const pageTarget = 300;

const log = benchLog('community-wealth');
const rows: Row[] = [];
const notes: string[] = [];
const thousands = (n: number) => Math.round(n).toLocaleString('en-GB');

/** Twenty timings after warming up. */
async function repeat(f: () => Promise<unknown>): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < sizes.warm + sizes.n; i++) {
    const t = await time(f);
    if (i >= sizes.warm) samples.push(t);
  }
  return stats(samples);
}

/** A member of the organisation with a session, as the dashboards are for members only. */
async function memberCookie(db: Db, organisationId: string): Promise<string> {
  const made = await createUser(db, { email: `bench-${process.pid}@example.org`, name: 'Bench member (sample data)', password: 'correct horse battery staple bench' }, cliActor);
  if (!made.ok) throw new Error(`could not make the bench member: ${made.message}`);
  await db.insert(memberships).values({ userId: made.value.id, organisationId, role: 'member' });
  const session = await db.transaction((tx) => createSession(tx, made.value.id));
  return `${sessionCookieName}=${session.token}`;
}

async function benchEngine(engine: string, database: Database) {
  const db = database.db;
  const [org] = await db.insert(organisations).values({ slug: `wealth-bench-${process.pid}`, name: 'Sample Council (sample data)', kind: 'council' }).returning({ id: organisations.id, slug: organisations.slug });

  const dir = path.resolve(`var/bench/community-wealth-${process.pid}-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  try {
    const file = path.join(dir, 'payments.csv');
    const postcodes = await samplePostcodes(db, wigan.code);
    const written = await time(() => writeSampleSpendFile(file, { rows: sizes.payments, suppliers: Math.round(sizes.payments / 160), years: [2022, 2023, 2024], localPostcodes: postcodes.local, otherPostcodes: postcodes.other, seed: 13 }));
    const bytes = (await stat(file)).size;
    log(`${engine}: ${thousands(sizes.payments)} sample payments written in ${ms(written)} (${(bytes / 2 ** 20).toFixed(0)} MiB)`);

    const [source] = await db
      .insert(spendSources)
      .values({ organisationId: org!.id, name: 'Sample council payments (sample data)', homeLad25: wigan.code, sample: true, mapping: guessMapping(['Body Name', 'Service Area', 'Expense Type', 'Payment Date', 'Transaction Number', 'Amount', 'Supplier Name', 'Supplier Postcode']) })
      .returning({ id: spendSources.id });
    log(`${engine}: importing`);
    let report: Awaited<ReturnType<typeof importSpend>> | undefined;
    const imported = await time(async () => (report = await importSpend(db, source!.id, file, 'payments.csv', cliActor)));
    // The comparison: the same file COPYed as it is (on PGlite a few megabytes at a time, as the import's staging is).
    const headings = 'body, department, expense, paid, reference, amount, supplier, postcode';
    const copied = await time(() =>
      db.transaction(async (tx) => {
        await tx.execute(sql.raw(`create temp table plain_payments (${headings.split(', ').map((h) => `${h} text`).join(', ')}) on commit drop`));
        await copyCsvFile(tx, 'plain_payments', file);
      }),
    );

    const onPostgres = engine === 'PostgreSQL';
    rows.push({
      engine,
      what: `Import ${thousands(sizes.payments)} payments (importSpend: read and check every row, ${thousands(report!.suppliersAdded)} suppliers made and placed, payments and summary in one transaction)`,
      s: { median: imported, p95: imported, n: 1 },
      comparison: `plain COPY of the same ${(bytes / 2 ** 20).toFixed(0)} MiB file into text columns`,
      comparisonMedian: copied,
      target: onPostgres && !quick ? `< ${importTarget / 1000} s` : '–',
      met: onPostgres && !quick ? imported < importTarget : null,
    });
    const [counts] = await queryRows<{ payments: number; summary: number; local: number; placed: number; suppliers: number }>(
      db,
      sql`select (select count(*) from payments where source_id = ${source!.id})::int as payments, (select count(*) from spend_summary where source_id = ${source!.id})::int as summary,
            (select count(*) from suppliers where organisation_id = ${org!.id} and lad25 = ${wigan.code})::int as local,
            (select count(*) from suppliers where organisation_id = ${org!.id} and lad25 is not null)::int as placed, (select count(*) from suppliers where organisation_id = ${org!.id})::int as suppliers`,
    );
    notes.push(
      `${engine}: ${thousands(counts!.payments)} payments (${thousands(report!.creditNotes)} credit notes) summed into ${thousands(counts!.summary)} summary rows; ${thousands(counts!.suppliers)} suppliers, ${thousands(counts!.placed)} placed by postcode (${thousands(counts!.local)} in ${wigan.name}).`,
    );

    const whole = await repeat(() => queryRows(db, sql`select sum(amount_pence)::text from payments where source_id = ${source!.id}`));
    const comparison = `one pass over the ${thousands(counts!.payments)} payments (sum of amounts)`;
    const scope = { organisationId: org!.id, place: { lad25: wigan.code }, homeLad25: wigan.code } as Parameters<typeof localSpend>[1];
    rows.push({ engine, what: `localSpend for ${wigan.name}: totals, by kind, department, year and IMD decile`, s: await repeat(() => localSpend(db, scope)), comparison, comparisonMedian: whole.median, target: '–', met: null });

    const app: FastifyInstance = await buildApp({ config: loadConfig({ PATCHWORK_DATA_DIR: 'var/bench', LOG_LEVEL: 'silent' }), database, logger: false });
    try {
      const cookie = await memberCookie(db, org!.id);
      const page = async (url: string) => {
        const response = await app.inject({ url, headers: { cookie } });
        if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}`);
      };
      const dashboard = `/organisations/${org!.slug}/community-wealth`;
      const s = await repeat(() => page(dashboard));
      rows.push({ engine, what: `GET the district dashboard (${wigan.name}; server time by app.inject, signed in: figures, chart, tables, map data, HTML)`, s, comparison, comparisonMedian: whole.median, target: `< ${pageTarget} ms`, met: s.median < pageTarget });
      const lsoas = await queryRows<{ code: string }>(
        db,
        sql`select from_code as code from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'ward25' and to_code in (select from_code from area_lookups where from_vintage = 'ward25' and to_vintage = 'lad25' and to_code = ${wigan.code}) order by from_code limit 20`,
      );
      const neighbourhood = await createNeighbourhood(db, { name: 'Bench neighbourhood (sample data)', purpose: 'locality', sharing: 'organisation', description: null }, { method: 'lsoas', geography: 'lsoa21', codes: lsoas.map((l) => l.code) }, { organisationId: org!.id, userId: null }, cliActor);
      const n = await repeat(() => page(`${dashboard}/neighbourhoods/${neighbourhood}`));
      rows.push({ engine, what: `GET a neighbourhood's dashboard (${lsoas.length} LSOAs of ${wigan.name})`, s: n, comparison, comparisonMedian: whole.median, target: `< ${pageTarget} ms`, met: n.median < pageTarget });
      const suppliersPage = await repeat(() => page(`${dashboard}/suppliers`));
      rows.push({ engine, what: `GET the suppliers list (first page of ${thousands(counts!.suppliers)}, by spend)`, s: suppliersPage, comparison, comparisonMedian: whole.median, target: '–', met: null });
    } finally {
      await app.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await runTableBench({
  name: 'community-wealth',
  heading: '## Community wealth (issue 13)',
  script: import.meta.url,
  neededSteps: nationalSteps,
  names: { scratch: 'run-community-wealth', results: 'results-community-wealth', copy: 'wealth' },
  quick,
  measure: benchEngine,
  rows,
  notes,
});
