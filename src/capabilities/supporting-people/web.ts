import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { readPerson, type PersonRecord } from './people.ts';
import type { DataKey } from '../../platform/crypto/envelope.ts';

/**
 * What the supporting-people route files share. Who may open a person's record is decided once, in
 * platform/auth/permissions.ts (access.supportPerson), which also writes every read to the audit log and sets
 * `request.support` (whose record, and on what basis). Routes then load the record with `personOf`.
 */

export { formBody, text, texts, type Form } from '../../platform/web/forms.ts';
export const personParams = z.object({ personId: z.string().max(100) });
export const teamParams = z.object({ teamId: z.string().max(100) });
export const orgParams = z.object({ slug: z.string().max(100) });

export const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/** Where pages live, for links between route files. */
export const supportPath = (rest = '') => `/support${rest}`;
export const personPath = (personId: string, rest = '') => `/support/people/${personId}${rest}`;
export const teamPath = (teamId: string, rest = '') => `/support/teams/${teamId}${rest}`;
export const teamsAdminPath = (slug: string, rest = '') => `/organisations/${slug}/support-teams${rest}`;

/** The parts of a person's record, each its own page, shown as tabs above every one of them. */
export const recordSections = [
  { id: 'summary', text: 'Summary', path: '' },
  { id: 'conversations', text: 'Conversations and goals', path: '/conversations' },
  { id: 'connections', text: 'Connections', path: '/connections' },
  { id: 'wellbeing', text: 'Wellbeing', path: '/wellbeing' },
  { id: 'privacy', text: 'Sharing and privacy', path: '/privacy' },
] as const;
export type RecordSection = (typeof recordSections)[number]['id'];

/**
 * The person the permission check let through, decrypted, and what every record page's layout
 * (views/record.njk) needs: the tabs, and whether this visitor may change things (a colleague it is shared with
 * only reads).
 */
export async function personOf(request: FastifyRequest, section: RecordSection): Promise<{ person: PersonRecord; dataKey: DataKey; record: RecordContext }> {
  const support = request.support;
  if (!support) throw new Error('personOf needs a route with access.supportPerson');
  const found = await readPerson(request.server.database.db, request.server.keyring, support.personId);
  if (!found) throw new Error(`Person ${support.personId} passed the permission check but has no data key`);
  const { dataKey, ...person } = found;
  return { person, dataKey, record: recordContext(person, section, support.basis !== 'shared', support.basis, support.share?.purpose ?? null) };
}

export type RecordContext = {
  personId: string;
  name: string;
  sample: boolean;
  status: string;
  canEdit: boolean;
  basis: string;
  sharePurpose: string | null;
  tabs: { text: string; href: string; current: boolean }[];
};

export function recordContext(person: Pick<PersonRecord, 'id' | 'name' | 'sample' | 'status'>, section: RecordSection, canEdit: boolean, basis: string, sharePurpose: string | null): RecordContext {
  return {
    personId: person.id,
    name: person.name,
    sample: person.sample,
    status: person.status,
    canEdit,
    basis,
    sharePurpose,
    tabs: recordSections.map((s) => ({ text: s.text, href: personPath(person.id, s.path), current: s.id === section })),
  };
}

export { todayInEngland as today, longDate } from '../../platform/web/dates.ts';
