import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const govukDist = path.dirname(require.resolve('govuk-frontend/package.json')) + '/dist';
const maplibreDist = path.dirname(require.resolve('maplibre-gl/package.json')) + '/dist';

export type Asset = { body: Buffer; contentType: string };
export type Assets = {
  /** Served at /assets/<name>; every name carries a content hash, so it can be cached for ever. */
  files: Map<string, Asset>;
  /** Logical name → URL, for templates: assetPath('patchwork.css'). */
  urls: Record<string, string>;
};

/** Capabilities' map modules, served under these names with MapLibre's hashed addresses written in. */
const mapModules = {
  'map.mjs': path.resolve(here, '../../capabilities/maps/assets/map.mjs'),
  'draw.mjs': path.resolve(here, '../../capabilities/neighbourhoods/assets/draw.mjs'),
  'directory-map.mjs': path.resolve(here, '../../capabilities/community-assets/assets/directory-map.mjs'),
  'gap-map.mjs': path.resolve(here, '../../capabilities/community-assets/assets/gap-map.mjs'),
  'voice-offline.mjs': path.resolve(here, '../../capabilities/community-voice/assets/voice-offline.mjs'), // no MapLibre placeholders: served as written
};

const sources = {
  scss: path.join(here, 'assets/patchwork.scss'),
  favicon: path.join(here, 'assets/favicon.svg'),
  init: path.join(here, 'assets/init.mjs'),
  govukJs: path.join(govukDist, 'govuk/govuk-frontend.min.js'),
  maplibre: path.join(maplibreDist, 'maplibre-gl.mjs'),
  maplibreWorker: path.join(maplibreDist, 'maplibre-gl-worker.mjs'),
  maplibreCss: path.join(maplibreDist, 'maplibre-gl.css'),
};

function hashed(logical: string, body: Buffer): string {
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const ext = path.extname(logical);
  return `${logical.slice(0, -ext.length)}-${digest}${ext}`;
}

/**
 * Builds the stylesheet from govuk-frontend's Sass with Patchwork's settings (system fonts, our own
 * header) and fingerprints every file. Compiling Sass takes seconds, so the CSS is cached under
 * var/cache keyed by a hash of its inputs; a change to any input makes a new build.
 */
export async function buildAssets(cacheDir: string): Promise<Assets> {
  const scssSource = await readFile(sources.scss);
  const govukVersion = (require('govuk-frontend/package.json') as { version: string }).version;
  const key = createHash('sha256').update(scssSource).update(govukVersion).digest('hex').slice(0, 16);
  const cached = path.join(cacheDir, `patchwork-${key}.css`);
  let css: Buffer;
  try {
    css = await readFile(cached);
  } catch {
    const sass = await import('sass');
    const result = await sass.compileAsync(sources.scss, {
      loadPaths: [govukDist],
      style: 'compressed',
      quietDeps: true,
      silenceDeprecations: ['import', 'global-builtin', 'slash-div'] as never,
    });
    css = Buffer.from(result.css);
    await mkdir(cacheDir, { recursive: true });
    const temp = `${cached}.${process.pid}.tmp`;
    await writeFile(temp, css);
    await rename(temp, cached); // atomic, so parallel test workers never read half a file
  }

  const files = new Map<string, Asset>();
  const urls: Record<string, string> = {};
  const add = (logical: string, body: Buffer, contentType: string) => {
    const name = hashed(logical, body);
    files.set(name, { body, contentType });
    urls[logical] = `/assets/${name}`;
  };
  add('patchwork.css', css, 'text/css; charset=utf-8');
  add('favicon.svg', await readFile(sources.favicon), 'image/svg+xml');
  add('govuk-frontend.min.js', await readFile(sources.govukJs), 'text/javascript; charset=utf-8');
  // init.mjs imports govuk-frontend by its fingerprinted URL, so it is fingerprinted after it.
  const init = (await readFile(sources.init, 'utf8')).replace('__GOVUK_FRONTEND__', urls['govuk-frontend.min.js']!);
  add('init.mjs', Buffer.from(init), 'text/javascript; charset=utf-8');
  // Maps only: MapLibre (ES modules; its worker is a module too) and Patchwork's map module, which names
  // both by their fingerprinted URLs.
  add('maplibre-gl.mjs', await readFile(sources.maplibre), 'text/javascript; charset=utf-8');
  add('maplibre-gl-worker.mjs', await readFile(sources.maplibreWorker), 'text/javascript; charset=utf-8');
  add('maplibre-gl.css', await readFile(sources.maplibreCss), 'text/css; charset=utf-8');
  for (const [name, file] of Object.entries(mapModules)) {
    const module = (await readFile(file, 'utf8')).replace('__MAPLIBRE__', urls['maplibre-gl.mjs']!).replace('__MAPLIBRE_WORKER__', urls['maplibre-gl-worker.mjs']!);
    add(name, Buffer.from(module), 'text/javascript; charset=utf-8');
  }
  return { files, urls };
}
