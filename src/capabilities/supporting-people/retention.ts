import { and, asc, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import {
  supportConnections,
  supportConversations,
  supportGoals,
  supportIntroductions,
  supportNextSteps,
  supportPeople,
  supportShares,
  supportTeams,
} from './schema.ts';

/**
 * Retention: a record closed longer than the retention period is flagged, and then anonymised. Anonymising deletes
 * what was said and agreed (conversations, next steps, goals, shares), blanks the free text kept elsewhere, and
 * destroys the person's wrapped data key, so any copy of their encrypted fields (in backups too) can no longer be
 * read. The route, dates, areas, age band, outcomes and wellbeing scores stay, so the aggregates do not change.
 */

/** A lead may keep a flagged record this long more; the decision is in the audit log, which is what the flagging reads. */
export const keepMonths = 12;
export const keepReasons = {
  'still-in-contact': 'We are still in touch with the person',
  'person-asked': 'The person asked us to keep it',
  'safeguarding-or-legal': 'A safeguarding, complaint or legal reason',
} as const;
export type KeepReason = keyof typeof keepReasons;

/** YYYY-MM-DD of `months` before `now`, in England (a month back from 31 March is 28 or 29 February). */
export function monthsBefore(now: Date, months: number): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const monthIndex = y * 12 + (m - 1) - months;
  const year = Math.floor(monthIndex / 12);
  const month = (monthIndex % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, '0')}-${String(Math.min(d, lastDay)).padStart(2, '0')}`;
}

/** Flags people closed before the retention period began (and not kept by a lead lately); returns how many were newly flagged and how many wait. */
export async function flagForRetention(db: Db, months: number, now: Date = new Date()): Promise<{ flagged: number; waiting: number }> {
  const cutoff = monthsBefore(now, months);
  const keptSince = new Date(now.getTime());
  keptSince.setUTCMonth(keptSince.getUTCMonth() - keepMonths);
  const flagged = await db
    .update(supportPeople)
    .set({ retentionFlaggedAt: now })
    .where(
      and(
        eq(supportPeople.status, 'closed'),
        lt(supportPeople.closedOn, cutoff),
        isNull(supportPeople.retentionFlaggedAt),
        isNull(supportPeople.anonymisedAt),
        sql`not exists (select 1 from audit_events a where a.object_type = 'support-person' and a.object_id = ${supportPeople.id}::text and a.action = 'support.person.retention-keep' and a.occurred_at > ${keptSince.toISOString()}::timestamptz)`,
      ),
    )
    .returning({ id: supportPeople.id });
  const [waiting] = await db.select({ n: sql<number>`count(*)::int` }).from(supportPeople).where(and(isNotNull(supportPeople.retentionFlaggedAt), isNull(supportPeople.anonymisedAt)));
  return { flagged: flagged.length, waiting: Number(waiting?.n ?? 0) };
}

/** Anonymises every flagged person, one transaction each, so a failure part-way leaves each record whole or done. */
export async function eraseFlagged(db: Db, actor: Actor, now: Date = new Date()): Promise<{ anonymised: number }> {
  const flagged = await db
    .select({ id: supportPeople.id, organisationId: supportTeams.organisationId })
    .from(supportPeople)
    .innerJoin(supportTeams, eq(supportTeams.id, supportPeople.teamId))
    .where(and(isNotNull(supportPeople.retentionFlaggedAt), isNull(supportPeople.anonymisedAt)))
    .orderBy(asc(supportPeople.id));
  let anonymised = 0;
  for (const person of flagged) {
    if (await db.transaction((tx) => anonymisePerson(tx, person.id, person.organisationId, actor, now))) anonymised += 1;
  }
  return { anonymised };
}

export async function anonymisePerson(tx: Tx, personId: string, organisationId: string | null, actor: Actor, now: Date): Promise<boolean> {
  const nextSteps = await tx.delete(supportNextSteps).where(eq(supportNextSteps.personId, personId)).returning({ id: supportNextSteps.id });
  const conversations = await tx.delete(supportConversations).where(eq(supportConversations.personId, personId)).returning({ id: supportConversations.id });
  // Progress goes with its goal (on delete cascade).
  const goals = await tx.delete(supportGoals).where(eq(supportGoals.personId, personId)).returning({ id: supportGoals.id });
  const shares = await tx.delete(supportShares).where(eq(supportShares.personId, personId)).returning({ id: supportShares.id });
  await tx.update(supportIntroductions).set({ introducerEnc: null, reasonEnc: null }).where(eq(supportIntroductions.personId, personId));
  await tx.update(supportConnections).set({ noteEnc: null }).where(eq(supportConnections.personId, personId));
  const done = await tx
    .update(supportPeople)
    .set({ wrappedKey: null, nameEnc: null, contactEnc: null, postcodeEnc: null, dateOfBirthEnc: null, demographicsEnc: null, anonymisedAt: now, updatedAt: now })
    .where(and(eq(supportPeople.id, personId), isNull(supportPeople.anonymisedAt)))
    .returning({ id: supportPeople.id });
  if (!done.length) return false;
  await recordAudit(tx, {
    actor,
    action: 'support.person.anonymise',
    objectType: 'support-person',
    objectId: personId,
    organisationId,
    details: { reason: 'retention', deleted: { nextSteps: nextSteps.length, conversations: conversations.length, goals: goals.length, shares: shares.length } },
  });
  return true;
}

/** The flagged, not yet anonymised people of one team, for its leads. */
export async function flaggedInTeam(tx: Tx, teamId: string) {
  return tx
    .select()
    .from(supportPeople)
    .where(and(eq(supportPeople.teamId, teamId), isNotNull(supportPeople.retentionFlaggedAt), isNull(supportPeople.anonymisedAt)))
    .orderBy(asc(supportPeople.closedOn), asc(supportPeople.id));
}

/** A lead keeps a flagged record for another 12 months: the flag is cleared and the reason audited. */
export async function keepFlagged(tx: Tx, teamId: string, personId: string, reason: KeepReason, organisationId: string, actor: Actor): Promise<boolean> {
  const cleared = await tx
    .update(supportPeople)
    .set({ retentionFlaggedAt: null })
    .where(and(eq(supportPeople.id, personId), eq(supportPeople.teamId, teamId), isNotNull(supportPeople.retentionFlaggedAt), isNull(supportPeople.anonymisedAt)))
    .returning({ id: supportPeople.id });
  if (!cleared.length) return false;
  await recordAudit(tx, { actor, action: 'support.person.retention-keep', objectType: 'support-person', objectId: personId, organisationId, details: { teamId, reason, months: keepMonths } });
  return true;
}
