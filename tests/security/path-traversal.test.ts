import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/engines.ts';
import { useSeededApp } from '../support/app.ts';
import { loadWiganBoundaries } from '../../src/capabilities/community-assets/testing.ts';

/**
 * Path traversal on the static and tile routes: every way of spelling "a file outside the assets" is a 400 or 404,
 * never a 500 and never a file's contents.
 */

const above = ['..', '%2e%2e', '%2E%2E', '%252e%252e', '..%2f', '.%2e', '%2e.', '..\\', '..%5c', '..%255c', '%c0%ae%c0%ae'];
const targets = ['package.json', 'etc/passwd', '.env', 'src/platform/web/app.ts', 'var/test-data/secret.key'];

function traversals(prefix: string): string[] {
  const urls = new Set<string>();
  for (const up of above) {
    for (const target of targets) {
      for (const depth of [1, 2, 5]) {
        const slash = up.endsWith('%2f') || up.endsWith('\\') || up.endsWith('%5c') || up.endsWith('%255c') ? '' : '/';
        const climb = Array.from({ length: depth }, () => `${up}${slash}`).join('');
        urls.add(`${prefix}${climb}${target}`);
        urls.add(`${prefix}${climb.replaceAll('/', '%2f')}${target.replaceAll('/', '%2f')}`);
        urls.add(`${prefix}${climb.replaceAll('/', '%252f')}${target}`);
      }
    }
  }
  for (const absolute of ['/etc/passwd', '%2fetc%2fpasswd', '%252fetc%252fpasswd', 'C:%5cWindows%5cwin.ini', '\\\\server\\share', 'file:%2f%2f%2fetc%2fpasswd']) urls.add(`${prefix}${absolute}`);
  for (const nul of ['package.json%00.css', '%00', 'patchwork.css%00../../package.json']) urls.add(`${prefix}${nul}`);
  return [...urls];
}

describe.each(engines)('path traversal on %s', (engine) => {
  const h = useSeededApp(engine);

  const secrets = async () => [
    (await readFile('package.json', 'utf8')).slice(0, 60),
    'root:x:0:0',
    (await readFile('src/platform/web/app.ts', 'utf8')).slice(0, 60),
  ];

  const refuses = async (urls: string[], allowed: number[]) => {
    const leaks = await secrets();
    const wrong: string[] = [];
    for (const url of urls) {
      const response = await h.app.inject({ url });
      if (!allowed.includes(response.statusCode)) wrong.push(`${response.statusCode} ${url}`);
      for (const leak of leaks) if (response.body.includes(leak)) wrong.push(`leaked ${JSON.stringify(leak.slice(0, 20))} at ${url}`);
    }
    expect(wrong).toEqual([]);
  };

  it('serves nothing outside the assets, however the path is spelt', async () => {
    const urls = traversals('/assets/');
    expect(urls.length).toBeGreaterThan(300);
    await refuses(urls, [400, 404]);
    // …while the real asset is still served.
    const css = /href="(\/assets\/[^"]+\.css)"/.exec((await h.app.inject({ url: '/' })).body)![1]!;
    expect((await h.app.inject({ url: css })).statusCode).toBe(200);
  });

  it('refuses traversal in the tile layer name and bad coordinates', async () => {
    await loadWiganBoundaries(h.database.db);
    const layers = traversals('').map((t) => `/tiles/${t}/0/0/0.mvt`);
    const coordinates = ['a', '-1', '1.5', '17', '99999999999999999999', 'NaN', 'Infinity', '0x1', '1e3', '%00', '..', '%2e%2e', ' 1'];
    const tiles: string[] = [...layers];
    for (const bad of coordinates) {
      tiles.push(`/tiles/lsoa21/${bad}/0/0.mvt`, `/tiles/lsoa21/0/${bad}/0.mvt`, `/tiles/lsoa21/0/0/${bad}.mvt`);
    }
    // Out of range for the zoom, and very far out.
    tiles.push('/tiles/lsoa21/2/4/0.mvt', '/tiles/lsoa21/2/0/4.mvt', '/tiles/lsoa21/16/65536/0.mvt', '/tiles/lsoa21/0/9007199254740993/0.mvt');
    for (const layer of ['lsoa21..', 'lsoa21%2f..%2f..', '../lsoa21', 'lsoa21.imd.x', 'LSOA21', 'lsoa21%00', `${'a'.repeat(500)}`]) tiles.push(`/tiles/${layer}/0/0/0.mvt`);
    // 414: Fastify's limit on a path parameter's length.
    await refuses(tiles, [400, 404, 414]);
    // The real tile still answers, so the refusals are not because tiles are broken.
    expect([200, 204]).toContain((await h.app.inject({ url: '/tiles/lsoa21/10/505/330.mvt' })).statusCode);
  });
});
