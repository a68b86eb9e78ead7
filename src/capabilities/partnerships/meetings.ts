import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Actor } from '../../platform/audit/audit.ts';
import { recordAudit } from '../../platform/audit/audit.ts';
import { memberships, organisations, users } from '../../platform/auth/schema.ts';
import type { Db } from '../../platform/db/database.ts';
import { actions, meetingAttendees, meetingDecisions, meetings, partnershipOrganisations, priorities } from './schema.ts';
import { createAction, PlanError } from './plan.ts';

/**
 * A partnership's meetings: who came (people with accounts, by organisation, and anyone else as their name was
 * written down), the decisions made and the actions agreed, which go straight into the plan with the meeting
 * that agreed them.
 */

/** A problem with what was entered, against the form field it is about. */
export class MeetingError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export const isoDate = /^\d{4}-\d{2}-\d{2}$/;
/** A real calendar date written YYYY-MM-DD (so 2025-02-30 is refused rather than rolled into March). */
export function validDate(value: string): boolean {
  if (!isoDate.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

export type OrganisationPeople = { id: string; name: string; people: { id: string; name: string }[] };

/** The partnership's organisations, each with the people who are members of it, for the attendance form. */
export async function organisationsWithPeople(db: Db, partnershipId: string): Promise<OrganisationPeople[]> {
  const orgs = await db
    .select({ id: organisations.id, name: organisations.name })
    .from(partnershipOrganisations)
    .innerJoin(organisations, eq(organisations.id, partnershipOrganisations.organisationId))
    .where(eq(partnershipOrganisations.partnershipId, partnershipId))
    .orderBy(asc(organisations.name));
  if (!orgs.length) return [];
  const people = await db
    .select({ organisationId: memberships.organisationId, id: users.id, name: users.name })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(inArray(memberships.organisationId, orgs.map((o) => o.id)))
    .orderBy(asc(users.name));
  return orgs.map((o) => ({ ...o, people: people.filter((p) => p.organisationId === o.id).map(({ id, name }) => ({ id, name })) }));
}

export type MeetingSummary = { id: string; heldOn: string; title: string; attendees: number; decisions: number; actions: number };

export async function listMeetings(db: Db, partnershipId: string): Promise<MeetingSummary[]> {
  return db
    .select({
      id: meetings.id,
      heldOn: meetings.heldOn,
      title: meetings.title,
      attendees: sql<number>`(select count(*)::int from meeting_attendees a where a.meeting_id = meetings.id)`,
      decisions: sql<number>`(select count(*)::int from meeting_decisions d where d.meeting_id = meetings.id)`,
      actions: sql<number>`(select count(*)::int from actions x where x.meeting_id = meetings.id)`,
    })
    .from(meetings)
    .where(eq(meetings.partnershipId, partnershipId))
    .orderBy(desc(meetings.heldOn), desc(meetings.createdAt));
}

export type NewMeeting = { heldOn: string; title: string; agenda: string; userIds: string[]; others: string[] };

/** "Name, Organisation" or just a name; the organisation is matched to one of the partnership's when it is one. */
export function parseOther(line: string, orgs: { id: string; name: string }[]): { name: string; organisationId: string | null } {
  const comma = line.indexOf(',');
  if (comma < 0) return { name: line.trim(), organisationId: null };
  const name = line.slice(0, comma).trim();
  const orgName = line.slice(comma + 1).trim();
  const org = orgs.find((o) => o.name.toLowerCase() === orgName.toLowerCase());
  // An organisation outside the partnership is kept in the name, so what was written down is not lost.
  if (org) return { name, organisationId: org.id };
  return { name: orgName ? `${name} (${orgName})` : name, organisationId: null };
}

export async function createMeeting(db: Db, partnershipId: string, input: NewMeeting, actor: Actor): Promise<string> {
  if (!validDate(input.heldOn)) throw new MeetingError('heldOn', 'Enter the date of the meeting as a real date, like 2025-03-14');
  if (!input.title) throw new MeetingError('title', 'Enter a title for the meeting');
  if (input.title.length > 200) throw new MeetingError('title', 'The title must be 200 characters or fewer');
  if (input.agenda.length > 10000) throw new MeetingError('agenda', 'The agenda must be 10,000 characters or fewer');
  const orgs = await organisationsWithPeople(db, partnershipId);
  const attendees: { organisationId: string | null; userId: string | null; name: string }[] = [];
  const seen = new Set<string>();
  const add = (a: (typeof attendees)[number]) => {
    const key = a.name.toLowerCase();
    if (!a.name || seen.has(key)) return;
    seen.add(key);
    attendees.push(a);
  };
  for (const value of input.userIds) {
    // A checkbox value is "organisationId:userId", so someone in two of the organisations is recorded for the one ticked.
    const [orgId, userId] = value.split(':');
    const org = orgs.find((o) => o.id === orgId);
    const person = org?.people.find((p) => p.id === userId);
    if (!org || !person) throw new MeetingError('attendees', 'Choose people from the partnership’s organisations');
    add({ organisationId: org.id, userId: person.id, name: person.name });
  }
  for (const line of input.others) {
    if (!line.trim()) continue;
    if (line.length > 200) throw new MeetingError('others', 'Each person in “others present” must be 200 characters or fewer');
    add({ ...parseOther(line, orgs), userId: null });
  }
  return db.transaction(async (tx) => {
    const [meeting] = await tx
      .insert(meetings)
      .values({ partnershipId, heldOn: input.heldOn, title: input.title, agenda: input.agenda || null, createdBy: actor.userId })
      .returning({ id: meetings.id });
    if (attendees.length) await tx.insert(meetingAttendees).values(attendees.map((a) => ({ ...a, meetingId: meeting!.id })));
    await recordAudit(tx, { actor, action: 'meeting.created', objectType: 'meeting', objectId: meeting!.id, details: { partnershipId, heldOn: input.heldOn, title: input.title, attendees: attendees.length } });
    return meeting!.id;
  });
}

export type MeetingDetail = {
  id: string;
  heldOn: string;
  title: string;
  agenda: string[];
  notes: string | null;
  version: number;
  attendeesByOrganisation: { organisation: string; names: string[] }[];
  decisions: { id: string; text: string; priorityId: string | null; priorityTitle: string | null }[];
  actions: { id: string; title: string; priorityTitle: string; ownerName: string; leadName: string; dueOn: string | null; status: string }[];
};

export async function getMeeting(db: Db, partnershipId: string, meetingId: string): Promise<MeetingDetail | null> {
  const [m] = await db.select().from(meetings).where(and(eq(meetings.id, meetingId), eq(meetings.partnershipId, partnershipId)));
  if (!m) return null;
  const people = await db
    .select({ name: meetingAttendees.name, organisation: organisations.name })
    .from(meetingAttendees)
    .leftJoin(organisations, eq(organisations.id, meetingAttendees.organisationId))
    .where(eq(meetingAttendees.meetingId, m.id))
    .orderBy(asc(organisations.name), asc(meetingAttendees.name));
  const byOrg = new Map<string, string[]>();
  for (const p of people) {
    const key = p.organisation ?? 'Others present';
    byOrg.set(key, [...(byOrg.get(key) ?? []), p.name]);
  }
  const decisions = await db
    .select({ id: meetingDecisions.id, text: meetingDecisions.text, priorityId: meetingDecisions.priorityId, priorityTitle: priorities.title })
    .from(meetingDecisions)
    .leftJoin(priorities, eq(priorities.id, meetingDecisions.priorityId))
    .where(eq(meetingDecisions.meetingId, m.id))
    .orderBy(asc(meetingDecisions.position));
  const agreed = await db
    .select({ id: actions.id, title: actions.title, priorityTitle: priorities.title, ownerName: organisations.name, leadName: actions.leadName, dueOn: actions.dueOn, status: actions.status })
    .from(actions)
    .innerJoin(priorities, eq(priorities.id, actions.priorityId))
    .innerJoin(organisations, eq(organisations.id, actions.ownerOrganisationId))
    .where(eq(actions.meetingId, m.id))
    .orderBy(asc(actions.createdAt));
  return {
    id: m.id,
    heldOn: m.heldOn,
    title: m.title,
    agenda: (m.agenda ?? '').split('\n').map((l) => l.trim()).filter(Boolean),
    notes: m.notes,
    version: m.version,
    // Named organisations first, then the people recorded without one.
    attendeesByOrganisation: [...byOrg].map(([organisation, names]) => ({ organisation, names })).sort((a, b) => Number(a.organisation === 'Others present') - Number(b.organisation === 'Others present')),
    decisions,
    actions: agreed,
  };
}

export async function partnershipPriorities(db: Db, partnershipId: string): Promise<{ id: string; title: string }[]> {
  return db.select({ id: priorities.id, title: priorities.title }).from(priorities).where(eq(priorities.partnershipId, partnershipId)).orderBy(asc(priorities.position), asc(priorities.title));
}

export async function addDecision(db: Db, partnershipId: string, meetingId: string, input: { text: string; priorityId: string }, actor: Actor): Promise<string> {
  if (!input.text) throw new MeetingError('decision', 'Enter the decision');
  if (input.text.length > 2000) throw new MeetingError('decision', 'The decision must be 2,000 characters or fewer');
  if (input.priorityId && !(await partnershipPriorities(db, partnershipId)).some((p) => p.id === input.priorityId)) throw new MeetingError('decisionPriority', 'Choose one of this partnership’s priorities, or none');
  return db.transaction(async (tx) => {
    const [{ next }] = (await tx.select({ next: sql<number>`coalesce(max(${meetingDecisions.position}), -1)::int + 1` }).from(meetingDecisions).where(eq(meetingDecisions.meetingId, meetingId))) as [{ next: number }];
    const [d] = await tx.insert(meetingDecisions).values({ meetingId, text: input.text, priorityId: input.priorityId || null, position: Number(next) }).returning({ id: meetingDecisions.id });
    await recordAudit(tx, { actor, action: 'meeting.decision-added', objectType: 'meeting', objectId: meetingId, details: { partnershipId, decisionId: d!.id, text: input.text, priorityId: input.priorityId || null } });
    return d!.id;
  });
}

export type MeetingAction = { priorityId: string; title: string; ownerOrganisationId: string; leadName: string; startOn: string; dueOn: string };

/** The meeting form's names for the plan's action fields, so a refusal lands on the right box. */
const meetingFields: Record<string, string> = { title: 'actionTitle' };

/**
 * An action agreed at a meeting, added to the plan (plan.ts's createAction, with its checks) with the meeting
 * recorded against it. A meeting's action must say when it is due.
 */
export async function addMeetingAction(db: Db, partnershipId: string, meetingId: string, input: MeetingAction, actor: Actor): Promise<string> {
  // The meeting form takes dates as typed text (2025-06-30), so its date messages say so.
  if (input.startOn && !validDate(input.startOn)) throw new MeetingError('startOn', 'Enter the start date as a real date, like 2025-04-01, or leave it blank');
  if (!input.dueOn) throw new MeetingError('dueOn', 'Enter the date it is due, like 2025-06-30');
  if (!validDate(input.dueOn)) throw new MeetingError('dueOn', 'Enter the due date as a real date, like 2025-06-30');
  try {
    return await createAction(
      db,
      partnershipId,
      { priorityId: input.priorityId, title: input.title, description: '', ownerOrganisationId: input.ownerOrganisationId, leadName: input.leadName, leadUserId: '', startOn: input.startOn, dueOn: input.dueOn, status: 'not-started', public: false, meetingId },
      // Actions agreed at a meeting start private: only their owner may publish them, from the plan.
      { actor, organisationIds: [] },
    );
  } catch (error) {
    if (error instanceof PlanError) throw new MeetingError(meetingFields[error.field] ?? error.field, error.message);
    throw error;
  }
}

/** Saves a meeting's notes unless someone else saved them since `version` was read: then 'conflict'. */
export async function saveNotes(db: Db, partnershipId: string, meetingId: string, version: number, notes: string, actor: Actor): Promise<'saved' | 'conflict'> {
  if (notes.length > 20000) throw new MeetingError('notes', 'The notes must be 20,000 characters or fewer');
  return db.transaction(async (tx) => {
    const changed = await tx
      .update(meetings)
      .set({ notes: notes || null, version: sql`${meetings.version} + 1`, updatedAt: new Date() })
      .where(and(eq(meetings.id, meetingId), eq(meetings.partnershipId, partnershipId), eq(meetings.version, version)))
      .returning({ id: meetings.id });
    if (!changed.length) return 'conflict';
    await recordAudit(tx, { actor, action: 'meeting.notes-edited', objectType: 'meeting', objectId: meetingId, details: { partnershipId, version: version + 1 } });
    return 'saved';
  });
}
