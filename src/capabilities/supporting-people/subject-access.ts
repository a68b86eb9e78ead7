import { asc, eq, inArray } from 'drizzle-orm';
import type { Keyring } from '../../platform/crypto/envelope.ts';
import type { Tx } from '../../platform/db/database.ts';
import { accessLog, accessLogCount } from './access-log.ts';
import { readPerson, seal } from './people.ts';
import {
  closureReasonNames,
  connectionOutcomeNames,
  introductionRouteNames,
  supportConnections,
  supportConversations,
  supportGoalProgress,
  supportGoals,
  supportIntroductions,
  supportNextSteps,
  supportTeams,
  supportWellbeing,
  type ClosureReason,
  type ConnectionOutcome,
  type IntroductionRoute,
} from './schema.ts';
import { sharesOf, shareStatusNames } from './sharing.ts';

/**
 * Subject access: everything Patchwork holds about a person, decrypted, straight from the tables (so nothing a page
 * chooses not to show is left out), for the person to be given a copy.
 */

export async function subjectAccessData(tx: Tx, keyring: Keyring, personId: string, on: string) {
  const found = await readPerson(tx, keyring, personId);
  if (!found) return null;
  const { dataKey, ...person } = found;
  const open = (table: string, id: string, column: string, value: string | null) => dataKey.decrypt(value, seal(table, id, column));
  const [team] = await tx.select({ name: supportTeams.name }).from(supportTeams).where(eq(supportTeams.id, person.teamId));
  const introductions = await tx.select().from(supportIntroductions).where(eq(supportIntroductions.personId, personId)).orderBy(asc(supportIntroductions.introducedOn), asc(supportIntroductions.createdAt));
  const conversations = await tx.select().from(supportConversations).where(eq(supportConversations.personId, personId)).orderBy(asc(supportConversations.heldOn), asc(supportConversations.createdAt));
  const nextSteps = await tx.select().from(supportNextSteps).where(eq(supportNextSteps.personId, personId)).orderBy(asc(supportNextSteps.createdAt));
  const goals = await tx.select().from(supportGoals).where(eq(supportGoals.personId, personId)).orderBy(asc(supportGoals.setOn), asc(supportGoals.createdAt));
  const progress = goals.length
    ? await tx.select().from(supportGoalProgress).where(inArray(supportGoalProgress.goalId, goals.map((g) => g.id))).orderBy(asc(supportGoalProgress.recordedOn), asc(supportGoalProgress.createdAt))
    : [];
  const connections = await tx.select().from(supportConnections).where(eq(supportConnections.personId, personId)).orderBy(asc(supportConnections.connectedOn), asc(supportConnections.createdAt));
  const wellbeing = await tx.select().from(supportWellbeing).where(eq(supportWellbeing.personId, personId)).orderBy(asc(supportWellbeing.measuredOn), asc(supportWellbeing.createdAt));
  const shares = await sharesOf(tx, personId, on);
  const log = await accessLog(tx, personId, 1, Math.max(await accessLogCount(tx, personId), 1));
  return {
    exportedOn: on,
    person: {
      id: person.id,
      name: person.name,
      contact: person.contact,
      postcode: person.postcode,
      dateOfBirth: person.dateOfBirth,
      ageBand: person.ageBand,
      demographics: person.demographics,
      areas: { lsoa21: person.lsoa21, ward25: person.ward25, lad25: person.lad25 },
      team: team?.name ?? null,
      consentStatus: person.consentStatus,
      consentOn: person.consentOn,
      status: person.status,
      closedOn: person.closedOn,
      closureReason: person.closureReason ? closureReasonNames[person.closureReason as ClosureReason] : null,
      sample: person.sample,
      recordedAt: person.createdAt,
      updatedAt: person.updatedAt,
    },
    introductions: introductions.map((i) => ({
      introducedOn: i.introducedOn,
      route: introductionRouteNames[i.route as IntroductionRoute] ?? i.route,
      introducer: open('support_introductions', i.id, 'introducer', i.introducerEnc),
      reason: open('support_introductions', i.id, 'reason', i.reasonEnc),
    })),
    conversations: conversations.map((c) => ({ id: c.id, heldOn: c.heldOn, note: open('support_conversations', c.id, 'note', c.noteEnc) })),
    nextSteps: nextSteps.map((s) => ({ step: open('support_next_steps', s.id, 'step', s.stepEnc), conversationId: s.conversationId, dueOn: s.dueOn, doneOn: s.doneOn })),
    goals: goals.map((g) => ({
      setOn: g.setOn,
      goal: open('support_goals', g.id, 'goal', g.goalEnc),
      status: g.status,
      statusOn: g.statusOn,
      progress: progress.filter((p) => p.goalId === g.id).map((p) => ({ recordedOn: p.recordedOn, score: p.score, note: open('support_goal_progress', p.id, 'note', p.noteEnc) })),
    })),
    connections: connections.map((c) => ({
      service: c.serviceName,
      connectedOn: c.connectedOn,
      outcome: connectionOutcomeNames[c.outcome as ConnectionOutcome] ?? c.outcome,
      outcomeOn: c.outcomeOn,
      note: open('support_connections', c.id, 'note', c.noteEnc),
    })),
    wellbeing: wellbeing.map((w) => ({
      measuredOn: w.measuredOn,
      occasion: w.occasion,
      lifeSatisfaction: w.lifeSatisfaction,
      worthwhile: w.worthwhile,
      happiness: w.happiness,
      anxiety: w.anxiety,
      swemwbsItems: w.swemwbsItems,
      swemwbsRaw: w.swemwbsRaw,
      swemwbsMetric: w.swemwbsMetric,
    })),
    shares: shares.map((s) => ({
      with: s.userName,
      organisation: s.organisationName,
      purpose: s.purpose,
      consentOn: s.consentOn,
      consentHow: s.consentHow,
      startsOn: s.startsOn,
      endsOn: s.endsOn,
      status: shareStatusNames[s.status],
    })),
    accessLog: log,
  };
}

export type SubjectAccessData = NonNullable<Awaited<ReturnType<typeof subjectAccessData>>>;

/** The export as tables with captions, for the printable page. */
export function subjectAccessTables(data: SubjectAccessData, longDate: (d: string | null | undefined) => string) {
  const d = (value: string | null | undefined) => longDate(value);
  return [
    { title: 'Introductions', caption: 'How they were introduced', headers: ['Date', 'By', 'Introducer', 'Reason'], rows: data.introductions.map((i) => [d(i.introducedOn), i.route, i.introducer ?? '', i.reason ?? '']) },
    { title: 'Conversations', caption: 'Conversations, oldest first', headers: ['Date', 'Note'], rows: data.conversations.map((c) => [d(c.heldOn), c.note ?? '']) },
    { title: 'Next steps', caption: 'Next steps agreed', headers: ['Step', 'Due', 'Done'], rows: data.nextSteps.map((s) => [s.step ?? '', d(s.dueOn), s.doneOn ? d(s.doneOn) : 'Not done']) },
    {
      title: 'What matters to them (goals)',
      caption: 'Goals in their own words, with progress (1 to 10)',
      headers: ['Set on', 'Goal', 'Status', 'Progress'],
      rows: data.goals.map((g) => [d(g.setOn), g.goal ?? '', g.statusOn ? `${g.status} since ${d(g.statusOn)}` : g.status, g.progress.map((p) => `${d(p.recordedOn)}: ${p.score}${p.note ? ` (${p.note})` : ''}`).join('; ')]),
    },
    { title: 'Connections', caption: 'Groups, activities and services they were connected to', headers: ['Service', 'Date', 'What came of it', 'Note'], rows: data.connections.map((c) => [c.service, d(c.connectedOn), c.outcome, c.note ?? '']) },
    {
      title: 'Wellbeing',
      caption: 'Wellbeing measures (ONS4 scores 0 to 10; SWEMWBS raw score 7 to 35)',
      headers: ['Date', 'Occasion', 'Life satisfaction', 'Worthwhile', 'Happiness', 'Anxiety', 'SWEMWBS'],
      rows: data.wellbeing.map((w) => [d(w.measuredOn), w.occasion, ...[w.lifeSatisfaction, w.worthwhile, w.happiness, w.anxiety, w.swemwbsRaw].map((n) => (n == null ? '' : String(n)))]),
    },
    { title: 'Sharing', caption: 'Who the record was shared with', headers: ['With', 'Purpose', 'Consent', 'Period', 'Status'], rows: data.shares.map((s) => [`${s.with}, ${s.organisation}`, s.purpose, `${d(s.consentOn)}, ${s.consentHow}`, `${d(s.startsOn)} to ${d(s.endsOn)}`, s.status]) },
    { title: 'Who has looked at the record', caption: 'Every read and change, newest first (UK time)', headers: ['When', 'Who', 'What', 'Why'], rows: data.accessLog.map((l) => [l.when, l.organisation ? `${l.who} (${l.organisation})` : l.who, l.what, l.why]) },
  ];
}
