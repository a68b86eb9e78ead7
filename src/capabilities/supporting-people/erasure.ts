import { eq, inArray, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import type { Tx } from '../../platform/db/database.ts';
import {
  supportConnections,
  supportConversations,
  supportGoalProgress,
  supportGoals,
  supportIntroductions,
  supportNextSteps,
  supportPeople,
  supportShares,
  supportWellbeing,
} from './schema.ts';

/**
 * Erasure on the person's request: the person's row goes, and with it (by cascade) everything recorded about them.
 * The audit log keeps only that it happened, with ids and counts; its earlier events never held personal data.
 */

export type RowCounts = Record<'introductions' | 'conversations' | 'nextSteps' | 'goals' | 'goalProgress' | 'connections' | 'wellbeing' | 'shares', number>;

const count = async (tx: Tx, table: typeof supportIntroductions | typeof supportConversations | typeof supportNextSteps | typeof supportGoals | typeof supportConnections | typeof supportWellbeing | typeof supportShares, personId: string) => {
  const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(table).where(eq(table.personId, personId));
  return Number(row?.n ?? 0);
};

/** How many rows each support table holds about a person. */
export async function rowCountsOf(tx: Tx, personId: string): Promise<RowCounts> {
  const goalIds = (await tx.select({ id: supportGoals.id }).from(supportGoals).where(eq(supportGoals.personId, personId))).map((g) => g.id);
  const [progress] = goalIds.length ? await tx.select({ n: sql<number>`count(*)::int` }).from(supportGoalProgress).where(inArray(supportGoalProgress.goalId, goalIds)) : [{ n: 0 }];
  return {
    introductions: await count(tx, supportIntroductions, personId),
    conversations: await count(tx, supportConversations, personId),
    nextSteps: await count(tx, supportNextSteps, personId),
    goals: goalIds.length,
    goalProgress: Number(progress?.n ?? 0),
    connections: await count(tx, supportConnections, personId),
    wellbeing: await count(tx, supportWellbeing, personId),
    shares: await count(tx, supportShares, personId),
  };
}

/** Deletes the person and everything about them, in the caller's transaction; null when there was no such person. */
export async function erasePerson(tx: Tx, personId: string, organisationId: string | null, actor: Actor): Promise<RowCounts | null> {
  const counts = await rowCountsOf(tx, personId);
  const deleted = await tx.delete(supportPeople).where(eq(supportPeople.id, personId)).returning({ id: supportPeople.id });
  if (!deleted.length) return null;
  await recordAudit(tx, { actor, action: 'support.person.erase', objectType: 'support-person', objectId: personId, organisationId, details: { counts } });
  return counts;
}
