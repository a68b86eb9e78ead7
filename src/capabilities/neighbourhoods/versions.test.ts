import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { importBoundaries } from '../geography/boundaries.ts';
import { createNeighbourhood } from './service.ts';

/** Redrawing a neighbourhood through the web: /organisations/:slug/neighbourhoods/:id/versions/new. */
describe.each(engines)('new versions of a neighbourhood on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let member: Client;
  let organisationId: string;
  let wards: string[];
  let id: string;
  const url = () => `/organisations/test-org/neighbourhoods/${id}/versions/new`;
  const versions = async (neighbourhoodId: string) =>
    queryRows<{ version: number; method: string; note: string | null; current: number }>(
      database.db,
      sql`select v.version, v.method, v.note, n.current_version as current from neighbourhood_versions v join neighbourhoods n on n.id = v.neighbourhood_id where n.id = ${neighbourhoodId} order by v.version`,
    );

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    organisationId = (await seedPeople(database)).organisationId;
    await loadBundledSteps(database.db, ['lookup.lsoa11-ward19-lad19', 'population.iod2019', 'edition.iod2019']);
    await importBoundaries(database.db, path.resolve('tests/fixtures/boundaries/lsoa11/E08000035.geojson.gz'), cliActor);
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    member = new Client(app);
    await member.signIn(emailOf('member'));
    wards = (await queryRows<{ code: string }>(database.db, sql`select distinct to_code as code from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'ward19' and from_code in (select from_code from area_lookups where to_code = 'E08000035') order by 1 limit 3`)).map((r) => r.code);
    id = await createNeighbourhood(database.db, { name: 'Redrawn patch', purpose: 'locality', sharing: 'public', description: null }, { method: 'wards', geography: 'ward19', codes: [wards[0]!] }, { organisationId, userId: null }, cliActor);
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('offers the three ways on a form that starts from the current members, linked from the profile for members only', async () => {
    const form = await member.get(url());
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Redraw Redrawn patch');
    expect(form.body).toContain('How will you redraw it?');
    expect(form.body).toContain('value="upload"');
    expect(form.body).toContain('data-pw-draw-section');
    expect(form.body).toContain('name="note"');
    expect(form.body).not.toContain('About the neighbourhood');
    // The current version is one ward (2019) and no district is chosen: its code waits in the box to edit.
    expect(form.body).toMatch(new RegExp(`<textarea[^>]*name="pasted"[^>]*>\\s*${wards[0]}`));
    expect(form.body).toContain(`action="/organisations/test-org/neighbourhoods/${id}/versions/new"`);

    const link = `href="/organisations/test-org/neighbourhoods/${id}/versions/new"`;
    expect((await member.get(`/neighbourhoods/${id}?edition=iod2019`)).body).toContain(link);
    for (const visitor of ['viewer', 'outsider', 'anonymous'] as const) {
      const client = new Client(app);
      if (visitor !== 'anonymous') await client.signIn(emailOf(visitor));
      const page = await client.get(`/neighbourhoods/${id}?edition=iod2019`);
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toContain('Redraw it (new version)');
    }
  });

  it('refuses a redraw without a note or a shape, saying why, and changes nothing', async () => {
    const response = await member.post(url(), { how: 'members', geography: 'ward19', pasted: '' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('There is a problem');
    expect(response.body).toContain('Tick at least one area, or paste their codes');
    expect(response.body).toContain('Say what changed and why, for the list of versions');
    const unknown = await member.post(url(), { how: 'members', geography: 'ward19', pasted: 'E05999999', note: 'Typo' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('E05999999 is not a code of Wards (December 2019)');
    expect((await versions(id)).map((v) => v.version)).toEqual([1]);
  });

  it('adds a version from members, then from an uploaded boundary, each with its note, and the profile lists them', async () => {
    const fromWards = await member.post(url(), { how: 'members', geography: 'ward19', pasted: `${wards[0]} ${wards[1]}`, note: 'Took in the next ward' });
    expect(fromWards.statusCode).toBe(303);
    expect(fromWards.headers.location).toBe(`/neighbourhoods/${id}`);
    const [shape] = await queryRows<{ geojson: string }>(database.db, sql`select ST_AsGeoJSON(ST_Union(boundary)) as geojson from areas where vintage = 'lsoa11' and code in (select from_code from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'ward19' and to_code = ${wards[2]!})`);
    const uploaded = await member.postFile(url(), { how: 'upload', note: 'Redrawn to the agreed boundary' }, { field: 'file', filename: 'patch.geojson', content: JSON.stringify({ type: 'Feature', properties: {}, geometry: JSON.parse(shape!.geojson) }) });
    expect(uploaded.statusCode).toBe(303);
    expect(await versions(id)).toEqual([
      { version: 1, method: 'wards', note: null, current: 3 },
      { version: 2, method: 'wards', note: 'Took in the next ward', current: 3 },
      { version: 3, method: 'uploaded', note: 'Redrawn to the agreed boundary', current: 3 },
    ]);
    const page = await member.get(`/neighbourhoods/${id}?edition=iod2019`);
    expect(page.body).toContain('Redrawn patch is now version 3');
    expect(page.body).toContain('Version 3, made from an uploaded boundary');
    expect(page.body).toContain('Took in the next ward');
    expect(page.body).toContain('Redrawn to the agreed boundary');
    const [audit] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from audit_events where action = 'neighbourhood.redrawn' and object_id = ${id}`);
    expect(audit!.n).toBe(2);
  });

  it('is not found for a neighbourhood another organisation owns, and changes nothing', async () => {
    const [other] = await database.db.insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'vcse' }).returning({ id: organisations.id });
    const theirs = await createNeighbourhood(database.db, { name: 'Theirs', purpose: 'locality', sharing: 'public', description: null }, { method: 'wards', geography: 'ward19', codes: [wards[0]!] }, { organisationId: other!.id, userId: null }, cliActor);
    const viaOwn = `/organisations/test-org/neighbourhoods/${theirs}/versions/new`;
    expect((await member.get(viaOwn)).statusCode).toBe(404);
    expect((await member.post(viaOwn, { how: 'members', geography: 'ward19', pasted: wards[1]!, note: 'Not ours' })).statusCode).toBe(404);
    // Under its owner's address, a member of another organisation is refused before anything is looked up.
    expect((await member.get(`/organisations/other-org/neighbourhoods/${theirs}/versions/new`)).statusCode).toBe(403);
    expect((await versions(theirs)).map((v) => v.version)).toEqual([1]);
    expect((await member.get(`/neighbourhoods/${theirs}?edition=iod2019`)).body).not.toContain('Redraw it (new version)');
  });
});
