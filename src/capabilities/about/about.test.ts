import { describe, expect, it } from 'vitest';
import { engines } from '../../../tests/support/engines.ts';
import { Client, useSeededApp } from '../../../tests/support/app.ts';

describe.each(engines)('about the data on %s', (engine) => {
  const h = useSeededApp(engine);

  it('gives the attribution, the definitions and the caveat, to anyone', async () => {
    const page = await new Client(h.app).get('/about/data');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Contains public sector information licensed under the Open Government Licence v3.0.');
    expect(page.body).toContain('Most deprived 1%');
    expect(page.body).toContain('Local concentration');
    expect(page.body).toContain('not strictly comparable');
    // No edition is loaded in this test database, and the page says so rather than showing an empty table.
    expect(page.body).toContain('No edition has been loaded yet');
  });
});
