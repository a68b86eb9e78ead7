import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { engines } from '../../../tests/support/engines.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { deepJson, hostileCell, internalText, markupPayloads, mostly, tableCounts } from '../../../tests/support/hostile.ts';
import { fuzzRuns, fuzzSeed, fuzzTimeout } from '../../../tests/support/profile.ts';
import { readOruk } from './oruk.ts';
import { nameUuid, runImport, TransferError, uuidPattern, type Importer } from './transfer.ts';

/**
 * Hostile Open Referral UK files (property-based): generated services mixing good fields with wrong types,
 * missing fields, markup, huge and deeply nested values and repeated ids either import whole — each service
 * stored under the id it was given, with exactly the name it was given — or are refused with a TransferError
 * naming a problem, never another error, and a refused file writes nothing. Whole files that are not JSON,
 * nest thousands deep or hold thousands of services are refused or read the same way.
 */
const runs = fuzzRuns(30);

const tables = ['directory_services', 'directory_organisations', 'directory_locations', 'directory_service_locations', 'directory_contacts', 'directory_schedules', 'directory_taxonomy_terms', 'audit_events'];

/** Something of the wrong type where a field is expected. */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, 0, -1, 1e309, [], {}, [1, 2], { a: 1 }, ''),
  hostileCell,
  fc.integer({ min: 5, max: 200 }).map((depth) => JSON.parse(deepJson(depth)) as unknown),
  fc.jsonValue({ maxDepth: 3 }),
);
const maybe = <T>(good: fc.Arbitrary<T>) => mostly<unknown>(good, wrongType, 12);
/** A field left out now and then. */
const optional = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined, freq: 8 });

const goodName = fc.oneof(fc.constantFrom('Pemberton Lunch Club (sample data)', 'Wigan Walkers (sample data)', 'Café Côté (sample data)'), fc.constantFrom(...markupPayloads).map((m) => `${m} club (sample data)`));
const serviceId = fc.oneof(fc.uuid(), fc.constantFrom('svc-1', 'svc-2', 'svc-3'), fc.integer({ min: 1, max: 5 }));

const service = fc.record(
  {
    id: maybe(serviceId),
    name: maybe(goodName),
    description: optional(maybe(fc.oneof(fc.constant('A weekly group. Sample data.'), hostileCell))),
    url: optional(maybe(fc.constantFrom('https://example.org/a', 'javascript:alert(1)', 'ftp://x'))),
    email: optional(maybe(fc.constantFrom('hello@example.org', 'not an email'))),
    status: optional(maybe(fc.constantFrom('active', 'inactive', 'ACTIVE', 'closed'))),
    fees: optional(maybe(hostileCell)),
    assured_date: optional(maybe(fc.constantFrom('2026-01-15', '2026-02-30', '15/01/2026'))),
    organization: maybe(
      fc.record({
        id: optional(maybe(fc.oneof(fc.uuid(), fc.constantFrom('org-1', 'org-2')))),
        name: maybe(fc.oneof(fc.constant('Sample Trust (sample data)'), fc.constantFrom(...markupPayloads))),
        'x-patchwork': optional(maybe(fc.record({ sample: maybe(fc.boolean()) }))),
      }),
    ),
    cost_options: optional(maybe(fc.array(maybe(fc.record({ option: optional(maybe(fc.constantFrom('Free', 'Per session'))), amount: optional(maybe(fc.constantFrom(0, 2.5, '2.50', 'two'))) })), { maxLength: 3 }))),
    eligibilitys: optional(maybe(fc.array(maybe(fc.record({ eligibility: optional(maybe(fc.constant('Adults'))), minimum_age: optional(maybe(fc.integer({ min: -5, max: 130 }))), maximum_age: optional(maybe(fc.integer({ min: -5, max: 130 }))) })), { maxLength: 2 }))),
    regular_schedules: optional(
      maybe(
        fc.array(
          maybe(fc.record({ id: optional(maybe(fc.constantFrom('rs-1', 'rs-2'))), freq: optional(maybe(fc.constantFrom('WEEKLY', 'MONTHLY', 'DAILY'))), byday: maybe(fc.constantFrom('MO', 'MO,TH', '2TU', 'Funday')), opens_at: optional(maybe(fc.constantFrom('09:30', '18:00:00', '25:00'))), closes_at: optional(maybe(fc.constantFrom('11:00', '20:00'))) })),
          { maxLength: 3 },
        ),
      ),
    ),
    contacts: optional(maybe(fc.array(maybe(fc.record({ id: optional(maybe(fc.constantFrom('k1', 'k2'))), name: optional(maybe(fc.oneof(fc.constant('Bookings'), hostileCell))), phones: optional(maybe(fc.array(maybe(fc.record({ number: maybe(fc.constantFrom('01942 000000', '12')) })), { maxLength: 2 }))) })), { maxLength: 3 }))),
    service_taxonomys: optional(maybe(fc.array(maybe(fc.record({ taxonomy: maybe(fc.record({ id: maybe(fc.constantFrom('activities', 'fuzz-term', 'x'.repeat(201))), name: optional(maybe(fc.constantFrom('Fuzz term', '<b>term</b>'))) })) })), { maxLength: 2 }))),
    'x-patchwork': optional(maybe(fc.record({ kind: optional(maybe(fc.constantFrom('activity', 'place', 'thing'))), sample: optional(maybe(fc.boolean())), wheelchair_accessible: optional(maybe(fc.boolean())) }))),
    extra: optional(wrongType),
  },
  { requiredKeys: [] },
);

/** One service, a list, or a page of them; or the list wrapped in something ORUK does not define. */
const file = fc.oneof(
  { arbitrary: fc.array(service, { maxLength: 5 }), weight: 6 },
  { arbitrary: service, weight: 2 },
  { arbitrary: fc.array(service, { maxLength: 5 }).map((content) => ({ totalElements: content.length, content })), weight: 2 },
  { arbitrary: wrongType, weight: 1 },
);

describe.each(engines)('hostile Open Referral UK files on %s', (engine) => {
  const h = useSeededApp(engine);
  const importer = (): Importer => ({ id: h.seed.organisationId, slug: 'test-org' });
  const counts = () => tableCounts(h.database.db, tables);

  /** Reads and imports; checks the outcome is all or nothing, and what was stored is what was sent. */
  async function importText(text: string, parsed: unknown): Promise<'imported' | 'refused'> {
    const before = await counts();
    try {
      const plan = readOruk(text, 'fuzzed.json', importer());
      const result = await runImport(h.database.db, plan, importer(), null, cliActor);
      const services = Array.isArray(parsed) ? parsed : (parsed as { content?: unknown[] }).content ?? [parsed];
      expect(result.total).toBe(services.length);
      for (const s of services as Record<string, unknown>[]) {
        const raw = String(s.id).trim();
        const id = uuidPattern.test(raw) ? raw.toLowerCase() : nameUuid(`${importer().id}:service:${raw}`);
        const [row] = await queryRows<{ name: string }>(h.database.db, sql`select name from directory_services where id = ${id}`);
        expect(row?.name).toBe(String(s.name));
      }
      return 'imported';
    } catch (error) {
      if (!(error instanceof TransferError)) throw error;
      expect(error.transferProblems.length + error.headline.length).toBeGreaterThan(0);
      expect(error.message).not.toMatch(internalText);
      expect(await counts()).toBe(before);
      return 'refused';
    }
  }

  it('imports each generated file whole or refuses it with a TransferError, writing nothing', async () => {
    const outcomes = { imported: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(file, async (parsed) => {
        const text = JSON.stringify(parsed) ?? 'undefined';
        outcomes[await importText(text, parsed)]++;
      }),
      { numRuns: runs, seed: fuzzSeed(21) },
    );
    // Both ways: a property that only ever refuses would prove little about what is stored.
    expect(outcomes.refused).toBeGreaterThan(0);
  }, fuzzTimeout(120_000));

  it('stores a good service exactly as sent, markup and all', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uuid(), fc.constantFrom(...markupPayloads), async (id, markup) => {
        const parsed = [{ id, name: `${markup} (sample data)`, organization: { name: `${markup} trust` }, description: markup }];
        expect(await importText(JSON.stringify(parsed), parsed)).toBe('imported');
        const [row] = await queryRows<{ description: string }>(h.database.db, sql`select description from directory_services where id = ${id}`);
        expect(row?.description).toBe(markup);
      }),
      { numRuns: Math.min(runs, 12), seed: fuzzSeed(22) },
    );
  }, fuzzTimeout(60_000));

  it('refuses whole files that are not services: deep nesting, broken JSON, huge lists, repeated ids', async () => {
    const depth = 100_000;
    const hostile: [string, 'lone' | null][] = [
      [deepJson(depth), null],
      [`{"content": ${deepJson(depth)}}`, null],
      [`[{"id": "deep", "name": "Deep (sample data)", "organization": {"name": "x"}, "cost_options": [{"amount": ${deepJson(depth)}}]}]`, null],
      [`[{"id": "deep", "name": ${deepJson(5000)}, "organization": {"name": "x"}}]`, null],
      [JSON.stringify([{ id: 'nul', name: 'Nul\u0000 club (sample data)', organization: { name: 'Nul trust' } }]), null],
      [JSON.stringify([{ id: 'nul', name: 'Nul club (sample data)', organization: { name: 'Nul trust' }, service_taxonomys: [{ taxonomy: { id: 'nul-term', name: 'Nul\u0000 term' } }] }]), null],
      [JSON.stringify([{ id: 'lone', name: 'Lone \uD800 club (sample data)', organization: { name: 'Trust' } }]), null],
      [JSON.stringify([{ id: 'rtl', name: 'Right \u202e to left club (sample data)', organization: { name: 'Trust \u202e' }, description: '\uFEFF' }]), 'lone'],
      ['{"id": "x", "name": "unterminated', null],
      ['', null],
      ['\uFEFF', null],
      ['null', null],
      ['"just text"', null],
      [JSON.stringify(Array.from({ length: 5000 }, () => 1)), null],
      [JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ id: `dup-${i % 2}`, name: `Dup ${i} (sample data)`, organization: { name: 'Dup trust' } }))), null],
    ];
    for (const [text, expected] of hostile) expect(await importText(text, expected === 'lone' ? JSON.parse(text) : null), text.slice(0, 60)).toBe(expected === 'lone' ? 'imported' : 'refused');
  }, fuzzTimeout(60_000));

  it('imports a huge list of good services whole', async () => {
    const parsed = Array.from({ length: 300 }, (_, i) => ({ id: `bulk-${i}`, name: `Bulk group ${i} (sample data)`, organization: { id: 'bulk-org', name: 'Bulk Trust (sample data)' } }));
    expect(await importText(JSON.stringify(parsed), parsed)).toBe('imported');
  }, fuzzTimeout(60_000));
});
