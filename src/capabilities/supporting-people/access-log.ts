import { sql } from 'drizzle-orm';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import { recordSections } from './web.ts';

/**
 * "Who has looked at this record": every audit event about the person (each read, each change), and the list
 * pages that showed them among others (their ids are in the event's details), newest first.
 */

export const accessLogPageSize = 50;

/** List pages that name several people at once write one event with their ids, not one per person. */
const listReadActions = ['support.caseload.read', 'support.retention.read'];

type EventRow = {
  id: string | number;
  occurredAt: Date | string;
  actorLabel: string;
  actorName: string | null;
  actorOrganisations: string | null;
  action: string;
  details: Record<string, unknown> | string | null;
};

export type AccessLine = { when: string; who: string; organisation: string; what: string; why: string };

const aboutPerson = (personId: string) =>
  sql`((object_type = 'support-person' and object_id = ${personId}) or (action in (${sql.join(
    listReadActions.map((a) => sql`${a}`),
    sql`, `,
  )}) and jsonb_typeof(details->'ids') = 'array' and (details->'ids') @> jsonb_build_array(${personId}::text)))`;

export async function accessLogCount(tx: Tx, personId: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from audit_events where ${aboutPerson(personId)}`);
  return Number(row?.n ?? 0);
}

/** One page (from 1) of the log, in words. */
export async function accessLog(tx: Tx, personId: string, page = 1, pageSize = accessLogPageSize): Promise<AccessLine[]> {
  const rows = await queryRows<EventRow>(
    tx,
    sql`select e.id, e.occurred_at as "occurredAt", e.actor_label as "actorLabel", u.name as "actorName",
          (select string_agg(o.name, ', ' order by o.name) from memberships m join organisations o on o.id = m.organisation_id where m.user_id = e.actor_user_id) as "actorOrganisations",
          e.action, e.details
        from audit_events e left join users u on u.id = e.actor_user_id
        where ${aboutPerson(personId)}
        order by e.occurred_at desc, e.id desc
        limit ${pageSize} offset ${(Math.max(page, 1) - 1) * pageSize}`,
  );
  return rows.map(lineOf);
}

const londonTime = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });

function lineOf(row: EventRow): AccessLine {
  const details = (typeof row.details === 'string' ? JSON.parse(row.details) : (row.details ?? {})) as Record<string, unknown>;
  return {
    when: londonTime.format(new Date(row.occurredAt)),
    who: row.actorName ?? (row.actorLabel === 'cli' ? 'The command line (an administrator on the server)' : row.actorLabel),
    organisation: row.actorOrganisations ?? '',
    what: actionWords(row.action, details),
    why: basisWords(details),
  };
}

/** The record's parts by the route they are read through, for "Read the record (conversations)". */
const pageNames: Record<string, string> = {
  ...Object.fromEntries(recordSections.map((s) => [s.path, s.text.toLowerCase()])),
  '/access': 'who has looked',
  '/export': 'subject access export',
  '/export.json': 'subject access export',
  '/erase': 'erasure',
  '/wellbeing/new': 'adding a wellbeing measure',
  '/connections/new': 'choosing a connection',
  '/conversations/new': 'recording a conversation',
  '/goals/new': 'adding what matters to them',
  '/edit': 'changing details',
  '/close': 'closing',
  '/introductions/new': 'adding an introduction',
};

const knownActions: Record<string, string> = {
  'support.person.create': 'Recorded the person',
  'support.person.update': 'Changed the person’s details',
  'support.person.close': 'Closed the record',
  'support.person.reopen': 'Reopened the record',
  'support.person.export': 'Exported everything held (subject access)',
  'support.person.erase': 'Erased the record',
  'support.person.anonymise': 'Anonymised the record under retention',
  'support.person.retention-keep': 'Kept the record for another 12 months',
  'support.person.reassign': 'Gave them a new coordinator',
  'support.introduction.create': 'Added an introduction',
  'support.conversation.create': 'Recorded a conversation',
  'support.next-step.done': 'Marked a next step done',
  'support.goal.create': 'Added what matters to them',
  'support.goal.progress': 'Recorded progress on a goal',
  'support.goal.status': 'Changed where a goal is',
  'support.connection.create': 'Connected them to a group, place or service',
  'support.connection.outcome': 'Recorded what came of a connection',
  'support.wellbeing.create': 'Added a wellbeing measure',
  'support.share.create': 'Shared the record',
  'support.share.revoke': 'Ended a share',
  'support.caseload.read': 'Saw the person in a caseload list',
  'support.retention.read': 'Saw the person in the retention list',
};

const verbs: Record<string, string> = { create: 'Added', add: 'Added', update: 'Changed', edit: 'Changed', delete: 'Deleted', remove: 'Removed', close: 'Closed', reopen: 'Reopened', reassign: 'Reassigned' };

export function actionWords(action: string, details: Record<string, unknown>): string {
  if (action === 'support.person.read') {
    const route = typeof details.page === 'string' ? details.page : '';
    const suffix = route.replace(/^.*:personId/, '');
    return `Read the record (${pageNames[suffix] ?? (suffix.replace(/^\//, '').replace(/[-/]/g, ' ') || 'summary')})`;
  }
  const known = knownActions[action];
  if (known) return known;
  // Other parts of the record name their events support.<thing>.<verb>: "Added a conversation".
  const [, thing = '', verb = ''] = action.split('.');
  const noun = thing.replace(/-/g, ' ');
  return verbs[verb] ? `${verbs[verb]} ${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}` : action;
}

export function basisWords(details: Record<string, unknown>): string {
  switch (details.basis) {
    case 'coordinator':
      return 'Their coordinator';
    case 'team-lead':
      return 'Lead of the team';
    case 'shared':
      return `Shared for: ${typeof details.purpose === 'string' ? details.purpose : 'a stated purpose'}`;
    default:
      return '';
  }
}
