import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { roleAtLeast } from '../../platform/auth/permissions.ts';

/**
 * What the impact route files share. Every impact page belongs to a partnership: its members (viewer and up) read
 * them, and members (member and up) of any of its organisations change them; the route's `config.access` decides
 * that (platform/auth/permissions.ts), and `request.partnership` is the partnership it let through. The proxy
 * library belongs to an organisation instead.
 */

import { parseNumber as parsePublishedNumber } from '../../platform/data/csv.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
export { formBody, text, texts, type Form } from '../../platform/web/forms.ts';
export const partnershipParams = z.object({ partnershipId: z.string().max(100) });
export const outcomeParams = partnershipParams.extend({ outcomeId: z.string().max(100) });
export const measureParams = outcomeParams.extend({ measureId: z.string().max(100) });
export const storyParams = partnershipParams.extend({ storyId: z.string().max(100) });
export const modelParams = partnershipParams.extend({ modelId: z.string().max(100) });
export const orgParams = z.object({ slug: z.string().max(100) });

export const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/** Where pages live, for links between route files. */
export const impactPath = (partnershipId: string, rest = '') => `/partnerships/${partnershipId}/impact${rest}`;
export const outcomePath = (partnershipId: string, outcomeId: string, rest = '') => impactPath(partnershipId, `/outcomes/${outcomeId}${rest}`);
export const storiesPath = (partnershipId: string, rest = '') => impactPath(partnershipId, `/stories${rest}`);
export const storyPath = (partnershipId: string, storyId: string, rest = '') => storiesPath(partnershipId, `/${storyId}${rest}`);
export const sroiPath = (partnershipId: string, rest = '') => impactPath(partnershipId, `/sroi${rest}`);
export const modelPath = (partnershipId: string, modelId: string, rest = '') => sroiPath(partnershipId, `/${modelId}${rest}`);
export const reportPath = (partnershipId: string, rest = '') => impactPath(partnershipId, `/report${rest}`);
export const proxiesPath = (slug: string, rest = '') => `/organisations/${slug}/sroi-proxies${rest}`;

/** The sections of a partnership's impact work, shown as tabs on each of their pages (views/impact-layout.njk). */
export const impactSections = [
  { id: 'outcomes', text: 'Outcomes', path: '' },
  { id: 'stories', text: 'Stories', path: '/stories' },
  { id: 'sroi', text: 'Social return', path: '/sroi' },
  { id: 'report', text: 'Impact report', path: '/report' },
] as const;
export type ImpactSection = (typeof impactSections)[number]['id'];

export type ImpactContext = {
  partnershipId: string;
  partnershipName: string;
  /** Whether to offer forms that change things; the routes they post to are checked by their own access rule. */
  canEdit: boolean;
  tabs: { text: string; href: string; current: boolean }[];
};

/** What every impact page's layout needs: the partnership, the tabs, and whether this visitor may change things. */
export function impactContext(request: FastifyRequest, section: ImpactSection): ImpactContext {
  const p = request.partnership;
  if (!p) throw new Error('impactContext needs a route with access.partnership');
  return {
    partnershipId: p.id,
    partnershipName: p.name,
    canEdit: Boolean(request.user?.isSiteAdmin) || p.memberOrganisations.some((o) => roleAtLeast(o.role, 'member')),
    tabs: impactSections.map((s) => ({ text: s.text, href: impactPath(p.id, s.path), current: s.id === section })),
  };
}

/** Pounds as a finance director reads them: £1,234 (pence only below £100, where they matter). */
export function pounds(value: number): string {
  const whole = Math.abs(value) >= 100;
  const text = Math.abs(value).toLocaleString('en-GB', { minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: whole ? 0 : 2 });
  return `${value < 0 ? '−' : ''}£${text}`;
}

/** A figure as typed, without trailing zeros: 12.5, 1,200. */
export const plain = (n: number) => n.toLocaleString('en-GB', { maximumFractionDigits: 4 });

/** A form read and checked: what it says, or what is wrong with it. */
export type Checked<T> = { ok: true; input: T } | { ok: false; errors: FormErrors };

/**
 * A number as people type money, counts and percentages: "£1,200", "1200.50", "−2", "12.5%" (when `percent`).
 * Commas only where they group thousands, so "1,20" is a mistake rather than 120. Blank is null.
 */
export function parseNumber(raw: string, { percent = false } = {}): number | null | 'invalid' {
  let s = raw.trim().replace(/\s+/g, '').replace(/^−/, '-');
  if (percent) s = s.replace(/%$/, '');
  else s = s.replace(/^(-?)£/, '$1');
  return s.toUpperCase() === 'NA' ? 'invalid' : parsePublishedNumber(s);
}

/** The same, where blank and mistyped are both "no number" (the caller says which). */
export function numberOrNull(typed: string): number | null {
  const n = parseNumber(typed);
  return typeof n === 'number' ? n : null;
}
