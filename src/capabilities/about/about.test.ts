import { describe, expect, it } from 'vitest';
import { engines } from '../../../tests/support/engines.ts';
import { Client, useSeededApp } from '../../../tests/support/app.ts';

describe.each(engines)('about the data on %s', (engine) => {
  const h = useSeededApp(engine);

  it('gives the attribution, the definitions and the caveat, to anyone', async () => {
    const page = await new Client(h.app).get('/about/data');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Contains public sector information licensed under the Open Government Licence v3.0.');
    expect(page.body).toContain('Source: Office for National Statistics licensed under the Open Government Licence v3.0. Contains OS data © Crown copyright and database right.');
    // Postcodes (NSPL) carry Royal Mail's rights as well as the OS's.
    expect(page.body).toContain('Contains Royal Mail data © Royal Mail copyright and database right.');
    expect(page.body).toContain('National Statistics Postcode Lookup (NSPL), November 2021');
    expect(page.body).toContain('population-weighted centroids');
    expect(page.body).toContain('most deprived 1%');
    expect(page.body).toContain('Local concentration');
    expect(page.body).toContain('not strictly comparable');
    // Every table has a caption, and the page carries no script or inline style of its own.
    expect(page.body.match(/<table/g)?.length).toBe(page.body.match(/<caption/g)?.length);
    const main = page.body.slice(page.body.indexOf('<main'), page.body.indexOf('</main>'));
    expect(main).not.toMatch(/<script|style=/);
    // No edition is loaded in this test database, and the page says so rather than showing an empty table.
    expect(page.body).toContain('No edition has been loaded yet');
  });

  it('is linked from the footer of every page', async () => {
    const home = await new Client(h.app).get('/');
    expect(home.body).toContain('href="/about/data"');
  });
});
