import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { access, roleAtLeast } from '../../platform/auth/permissions.ts';

/**
 * What the community wealth route files share. Every page belongs to an organisation (`:slug`): its members
 * (viewer and up) read the dashboards, suppliers and social value; members (member and up) import files, edit
 * suppliers, merge them and record contracts. The route's `config.access` decides that
 * (platform/auth/permissions.ts), and `request.organisation` is the organisation it let through.
 */

export { formBody, text, texts, type Form } from '../../platform/web/forms.ts';

export const read = { access: access.organisation('viewer') };
export const write = { access: access.organisation('member') };

export const orgParams = z.object({ slug: z.string().max(100) });
export const sourceParams = orgParams.extend({ sourceId: z.string().max(100) });
export const uploadParams = sourceParams.extend({ uploadId: z.string().max(100) });
export const importParams = sourceParams.extend({ importId: z.string().max(100) });
export const supplierParams = orgParams.extend({ supplierId: z.string().max(100) });
export const neighbourhoodParams = orgParams.extend({ neighbourhoodId: z.string().max(100) });
export const contractParams = orgParams.extend({ contractId: z.string().max(100) });

export const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/** Where pages live, for links between route files. */
export const wealthPath = (slug: string, rest = '') => `/organisations/${slug}/community-wealth${rest}`;
export const sourcesPath = (slug: string, rest = '') => wealthPath(slug, `/sources${rest}`);
export const sourcePath = (slug: string, sourceId: string, rest = '') => sourcesPath(slug, `/${sourceId}${rest}`);
export const suppliersPath = (slug: string, rest = '') => wealthPath(slug, `/suppliers${rest}`);
export const supplierPath = (slug: string, supplierId: string, rest = '') => suppliersPath(slug, `/${supplierId}${rest}`);
export const neighbourhoodSpendPath = (slug: string, neighbourhoodId: string, rest = '') => wealthPath(slug, `/neighbourhoods/${neighbourhoodId}${rest}`);
export const socialValuePath = (slug: string, rest = '') => wealthPath(slug, `/social-value${rest}`);
export const contractPath = (slug: string, contractId: string, rest = '') => socialValuePath(slug, `/contracts/${contractId}${rest}`);

/** The sections of an organisation's community wealth work, shown as tabs on each of their pages (views/wealth-layout.njk). */
export const wealthSections = [
  { id: 'spend', text: 'Local spend', path: '' },
  { id: 'sources', text: 'Spend files', path: '/sources' },
  { id: 'suppliers', text: 'Suppliers', path: '/suppliers' },
  { id: 'social-value', text: 'Social value', path: '/social-value' },
] as const;
export type WealthSection = (typeof wealthSections)[number]['id'];

export type WealthContext = {
  slug: string;
  organisationName: string;
  /** Whether to offer forms that change things; the routes they post to are checked by their own access rule. */
  canEdit: boolean;
  tabs: { text: string; href: string; current: boolean }[];
};

/** What every community wealth page's layout needs: the organisation, the tabs, and whether this visitor may change things. */
export function wealthContext(request: FastifyRequest, section: WealthSection): WealthContext {
  const org = request.organisation;
  if (!org) throw new Error('wealthContext needs a route with access.organisation');
  return {
    slug: org.slug,
    organisationName: org.name,
    canEdit: Boolean(request.user?.isSiteAdmin) || roleAtLeast(org.role, 'member'),
    tabs: wealthSections.map((s) => ({ text: s.text, href: wealthPath(org.slug, s.path), current: s.id === section })),
  };
}

/** Whole pence as pounds, exactly: £1,234.56 (£1,234 when there are no pence), credit as −£200. */
export function money(pence: number): string {
  const pounds = Math.abs(pence) / 100;
  const text = pounds.toLocaleString('en-GB', { minimumFractionDigits: pence % 100 === 0 ? 0 : 2, maximumFractionDigits: 2 });
  return `${pence < 0 ? '−' : ''}£${text}`;
}

/** Pence as a headline reads them: £10.1m, £950k, £1,234. */
export function shortMoney(pence: number): string {
  const pounds = Math.abs(pence) / 100;
  const sign = pence < 0 ? '−' : '';
  if (pounds >= 1_000_000) return `${sign}£${(pounds / 1_000_000).toLocaleString('en-GB', { maximumFractionDigits: 1 })}m`;
  if (pounds >= 10_000) return `${sign}£${Math.round(pounds / 1000).toLocaleString('en-GB')}k`;
  return `${sign}£${Math.round(pounds).toLocaleString('en-GB')}`;
}

/** A share as a percentage to one place (49.4%), or "–" when there is nothing to divide by. */
export const percent = (share: number | null) => (share === null ? '–' : `${(share * 100).toLocaleString('en-GB', { maximumFractionDigits: 1, minimumFractionDigits: 1 })}%`);
