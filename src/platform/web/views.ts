import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { paragraphsOf } from './paragraphs.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const govukDist = path.dirname(require.resolve('govuk-frontend/package.json')) + '/dist';

export const serviceName = 'Patchwork';

/**
 * Templates are found by path from three roots: the platform's layout and shared components
 * ("layout.njk", "components/…"), each capability's own views ("accounts/views/sign-in.njk"), and
 * govuk-frontend's macros ("govuk/components/…"). Autoescaping is on: only `| safe` output is raw.
 */
/**
 * One number format per number of decimals, made once: toLocaleString builds a new formatter on every call,
 * which cost a district page (hundreds of figures) several milliseconds.
 */
const formatters = new Map<number, Intl.NumberFormat>();
function formatter(decimals: number): Intl.NumberFormat {
  let f = formatters.get(decimals);
  if (!f) {
    f = new Intl.NumberFormat('en-GB', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    formatters.set(decimals, f);
  }
  return f;
}

export function createViews(assetUrls: Record<string, string>, options: { basemap?: { url: string; attribution: string } } = {}): nunjucks.Environment {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader(
      [path.join(here, 'views'), path.resolve(here, '../../capabilities'), govukDist],
      { noCache: false },
    ),
    { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true },
  );
  env.addGlobal('serviceName', serviceName);
  env.addGlobal('basemap', options.basemap ?? null);
  env.addGlobal('assetPath', (name: string) => {
    const url = assetUrls[name];
    if (!url) throw new Error(`Unknown asset ${name}`);
    return url;
  });
  env.addFilter('dateTime', (value: Date | string | null | undefined) => {
    if (!value) return '';
    const d = value instanceof Date ? value : new Date(value);
    return new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/London' }).format(d);
  });
  env.addFilter('date', (value: Date | string | null | undefined) => {
    if (!value) return '';
    const d = value instanceof Date ? value : new Date(value);
    return new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'Europe/London' }).format(d);
  });
  // Figures as people read them: thousands separated, a fixed number of decimals, a dash for "no value".
  env.addFilter('number', (value: number | null | undefined, decimals = 0) => (value === null || value === undefined || Number.isNaN(value) ? '–' : formatter(decimals).format(value)));
  env.addFilter('percent', (value: number | null | undefined, decimals = 0) => (value === null || value === undefined || Number.isNaN(value) ? '–' : `${formatter(decimals).format(value * 100)}%`));
  // Typed text as paragraphs of lines: {% for para in text | paragraphs %}.
  env.addFilter('paragraphs', (value: string | null | undefined) => paragraphsOf(value ?? null));
  return env;
}
