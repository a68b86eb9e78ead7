import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { memberships, users } from '../../platform/auth/schema.ts';
import type { Tx } from '../../platform/db/database.ts';
import { supportPeople, supportTeamMembers, supportTeams, supportTeamRoles, type SupportTeam, type SupportTeamRole } from './schema.ts';

/**
 * Support teams: set up by an organisation's admins, who choose who coordinates and who leads. Admins see counts
 * only: who is supported is never shown here.
 */

export type TeamSummary = { id: string; name: string; members: number; openPeople: number; allPeople: number };

/** People counted in a caseload: erased records have no one left in them. */
const notErased = isNull(supportPeople.anonymisedAt);

// Subqueries name the outer table in full: drizzle leaves a lone table's columns unqualified.
export async function teamsOfOrganisation(tx: Tx, organisationId: string): Promise<TeamSummary[]> {
  return tx
    .select({
      id: supportTeams.id,
      name: supportTeams.name,
      members: sql<number>`(select count(*)::int from support_team_members m where m.team_id = support_teams.id)`,
      openPeople: sql<number>`(select count(*)::int from support_people p where p.team_id = support_teams.id and p.anonymised_at is null and p.status = 'open')`,
      allPeople: sql<number>`(select count(*)::int from support_people p where p.team_id = support_teams.id and p.anonymised_at is null)`,
    })
    .from(supportTeams)
    .where(eq(supportTeams.organisationId, organisationId))
    .orderBy(asc(supportTeams.name));
}

export class TeamError extends Error {
  constructor(
    public readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'TeamError';
  }
}

/** A new team; its name must differ from the organisation's other teams whatever its capitals. */
export async function createTeam(tx: Tx, organisationId: string, typedName: string, actor: Actor): Promise<string> {
  const name = typedName.trim().replace(/\s+/g, ' ');
  if (!name) throw new TeamError('name', 'Enter the team’s name');
  if (name.length > 120) throw new TeamError('name', 'The team’s name must be 120 characters or fewer');
  const [taken] = await tx
    .select({ id: supportTeams.id })
    .from(supportTeams)
    .where(and(eq(supportTeams.organisationId, organisationId), sql`lower(${supportTeams.name}) = lower(${name})`));
  if (taken) throw new TeamError('name', `There is already a team called ${name}`);
  const [team] = await tx.insert(supportTeams).values({ organisationId, name }).returning({ id: supportTeams.id });
  await recordAudit(tx, { actor, action: 'support.team.create', objectType: 'support-team', objectId: team!.id, organisationId, details: {} });
  return team!.id;
}

/** The team named in a route, only if it belongs to the organisation the route is about. */
export async function teamOfOrganisation(tx: Tx, organisationId: string, teamId: string): Promise<SupportTeam | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(teamId)) return null;
  const [team] = await tx.select().from(supportTeams).where(and(eq(supportTeams.id, teamId), eq(supportTeams.organisationId, organisationId)));
  return team ?? null;
}

export async function teamById(tx: Tx, teamId: string): Promise<SupportTeam | null> {
  const [team] = await tx.select().from(supportTeams).where(eq(supportTeams.id, teamId));
  return team ?? null;
}

export type TeamMember = { userId: string; name: string; email: string; role: SupportTeamRole; openPeople: number };

export async function membersOfTeam(tx: Tx, teamId: string): Promise<TeamMember[]> {
  return tx
    .select({
      userId: supportTeamMembers.userId,
      name: users.name,
      email: users.email,
      role: supportTeamMembers.role,
      openPeople: sql<number>`(select count(*)::int from support_people p where p.team_id = support_team_members.team_id and p.coordinator_user_id = support_team_members.user_id and p.anonymised_at is null and p.status = 'open')`,
    })
    .from(supportTeamMembers)
    .innerJoin(users, eq(users.id, supportTeamMembers.userId))
    .where(eq(supportTeamMembers.teamId, teamId))
    .orderBy(asc(users.name));
}

/** The organisation's members, for choosing whom to add to a team. */
export async function membersOfOrganisation(tx: Tx, organisationId: string): Promise<{ userId: string; name: string; email: string }[]> {
  return tx
    .select({ userId: users.id, name: users.name, email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.organisationId, organisationId), isNull(users.disabledAt)))
    .orderBy(asc(users.name));
}

/** Adds a member of the organisation to the team, or changes the role of one already in it. */
export async function addTeamMember(tx: Tx, team: SupportTeam, userId: string, role: string, actor: Actor): Promise<'added' | 'changed'> {
  if (!(supportTeamRoles as readonly string[]).includes(role)) throw new TeamError('role', 'Choose whether they coordinate or lead');
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(userId);
  const [member] = isUuid
    ? await tx
        .select({ userId: memberships.userId })
        .from(memberships)
        .where(and(eq(memberships.organisationId, team.organisationId), eq(memberships.userId, userId)))
    : [];
  if (!member) throw new TeamError('userId', 'Choose a member of the organisation');
  const [existing] = await tx
    .select({ role: supportTeamMembers.role })
    .from(supportTeamMembers)
    .where(and(eq(supportTeamMembers.teamId, team.id), eq(supportTeamMembers.userId, userId)));
  const teamRole = role as SupportTeamRole;
  if (existing) await tx.update(supportTeamMembers).set({ role: teamRole }).where(and(eq(supportTeamMembers.teamId, team.id), eq(supportTeamMembers.userId, userId)));
  else await tx.insert(supportTeamMembers).values({ teamId: team.id, userId, role: teamRole });
  await recordAudit(tx, {
    actor,
    action: existing ? 'support.team.member.change' : 'support.team.member.add',
    objectType: 'support-team',
    objectId: team.id,
    organisationId: team.organisationId,
    details: { userId, role, ...(existing ? { previousRole: existing.role } : {}) },
  });
  return existing ? 'changed' : 'added';
}

/** How many open records the member still coordinates in the team: they cannot leave until a lead reassigns them. */
export async function openCaseloadInTeam(tx: Tx, teamId: string, userId: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(supportPeople)
    .where(and(eq(supportPeople.teamId, teamId), eq(supportPeople.coordinatorUserId, userId), eq(supportPeople.status, 'open'), notErased));
  return Number(row?.n ?? 0);
}

export async function removeTeamMember(tx: Tx, team: SupportTeam, userId: string, actor: Actor): Promise<{ removed: boolean; stillCoordinating: number }> {
  const stillCoordinating = await openCaseloadInTeam(tx, team.id, userId);
  if (stillCoordinating > 0) return { removed: false, stillCoordinating };
  const removed = await tx
    .delete(supportTeamMembers)
    .where(and(eq(supportTeamMembers.teamId, team.id), eq(supportTeamMembers.userId, userId)))
    .returning({ userId: supportTeamMembers.userId });
  if (removed.length) await recordAudit(tx, { actor, action: 'support.team.member.remove', objectType: 'support-team', objectId: team.id, organisationId: team.organisationId, details: { userId } });
  return { removed: removed.length > 0, stillCoordinating: 0 };
}

/** The teams someone works in, with their role in each: what they may record people into and whom they may assign. */
export async function teamsOfUser(tx: Tx, userId: string): Promise<{ id: string; name: string; organisationId: string; role: SupportTeamRole }[]> {
  return tx
    .select({ id: supportTeams.id, name: supportTeams.name, organisationId: supportTeams.organisationId, role: supportTeamMembers.role })
    .from(supportTeamMembers)
    .innerJoin(supportTeams, eq(supportTeams.id, supportTeamMembers.teamId))
    .where(eq(supportTeamMembers.userId, userId))
    .orderBy(asc(supportTeams.name));
}
