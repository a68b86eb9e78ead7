import { and, eq, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import type { Keyring } from '../../platform/crypto/envelope.ts';
import type { Tx } from '../../platform/db/database.ts';
import { decryptPerson } from './people.ts';
import { supportPeople, supportTeamMembers, type PersonStatus } from './schema.ts';

/**
 * Caseloads: the people a coordinator supports, and a team's people for its leads. Names are decrypted row by row,
 * so the list is sorted here rather than in the database.
 */

export const caseloadFilters = ['open', 'closed', 'all'] as const;
export type CaseloadFilter = (typeof caseloadFilters)[number];

export type CaseloadRow = {
  id: string;
  name: string;
  sample: boolean;
  status: PersonStatus;
  coordinatorUserId: string | null;
  wardName: string | null;
  lastContactOn: string | null;
  nextStepDueOn: string | null;
};

async function caseloadWhere(tx: Tx, keyring: Keyring, where: SQL, filter: CaseloadFilter): Promise<CaseloadRow[]> {
  // Subqueries name the outer table in full: drizzle leaves a lone table's columns unqualified, which a subquery would take as its own.
  const rows = await tx
    .select({
      person: supportPeople,
      wardName: sql<string | null>`(select name from areas where vintage = 'ward25' and code = support_people.ward25 limit 1)`,
      lastContactOn: sql<string | null>`greatest((select max(held_on) from support_conversations c where c.person_id = support_people.id), (select max(introduced_on) from support_introductions i where i.person_id = support_people.id))::text`,
      nextStepDueOn: sql<string | null>`(select min(due_on) from support_next_steps s where s.person_id = support_people.id and s.done_on is null)::text`,
    })
    .from(supportPeople)
    .where(and(where, isNotNull(supportPeople.wrappedKey), isNull(supportPeople.anonymisedAt), filter === 'all' ? undefined : eq(supportPeople.status, filter)));
  return rows
    .map(({ person, wardName, lastContactOn, nextStepDueOn }) => {
      const { name } = decryptPerson(keyring, person);
      return { id: person.id, name, sample: person.sample, status: person.status, coordinatorUserId: person.coordinatorUserId, wardName, lastContactOn, nextStepDueOn };
    })
    .sort((a, b) => a.name.localeCompare(b.name, 'en-GB'));
}

/**
 * The people someone coordinates, in teams they are still in (a coordinator who has left a team no longer sees its
 * people, as permissions.ts decides for a single record).
 */
export function caseloadOf(tx: Tx, keyring: Keyring, userId: string, filter: CaseloadFilter): Promise<CaseloadRow[]> {
  const stillInTeam = inArray(supportPeople.teamId, tx.select({ teamId: supportTeamMembers.teamId }).from(supportTeamMembers).where(eq(supportTeamMembers.userId, userId)));
  return caseloadWhere(tx, keyring, and(eq(supportPeople.coordinatorUserId, userId), stillInTeam)!, filter);
}

export function caseloadOfTeam(tx: Tx, keyring: Keyring, teamId: string, filter: CaseloadFilter): Promise<CaseloadRow[]> {
  return caseloadWhere(tx, keyring, eq(supportPeople.teamId, teamId), filter);
}

/**
 * Listing a caseload shows several people's names at once: one event says whose, so each person's access log can
 * include it (permissions.ts writes `support.person.read` for single records).
 */
export async function auditCaseloadRead(tx: Tx, actor: Actor, rows: CaseloadRow[], scope: { teamId?: string; organisationId?: string | null; filter: CaseloadFilter }): Promise<void> {
  await recordAudit(tx, {
    actor,
    action: 'support.caseload.read',
    objectType: scope.teamId ? 'support-team' : 'support-caseload',
    objectId: scope.teamId ?? actor.userId,
    organisationId: scope.organisationId ?? null,
    details: { count: rows.length, ids: rows.map((r) => r.id), status: scope.filter, ...(scope.teamId ? { teamId: scope.teamId } : {}) },
  });
}
