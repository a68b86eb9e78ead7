import { and, eq, isNull, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Tx } from '../db/database.ts';
import { memberships, organisations, roles, type Role } from './schema.ts';
import { partnershipOrganisations, partnerships } from '../../capabilities/partnerships/schema.ts';
import { supportPeople, supportShares, supportTeamMembers, supportTeams } from '../../capabilities/supporting-people/schema.ts';
import { actorOf, recordAudit } from '../audit/audit.ts';
import type { SessionUser } from './sessions.ts';

/**
 * Who may use a route. Every route states one in `config.access`; the app refuses to start with a route
 * that does not, and tests/routes.test.ts checks the outcome of every route for every kind of visitor.
 *
 * - public: anyone, signed in or not.
 * - signed-in: any signed-in person.
 * - site-admin: people who administer this Patchwork installation.
 * - organisation: members of the organisation named by the route's `:slug` with at least `role`
 *   (site admins too). The organisation is loaded once here and handed to the route.
 */
export type Access =
  | { kind: 'public' }
  | { kind: 'signed-in' }
  | { kind: 'site-admin' }
  | { kind: 'organisation'; role: Role }
  | { kind: 'partnership'; role: Role; lead?: boolean }
  | { kind: 'support-worker' }
  | { kind: 'support-team' }
  | { kind: 'support-person'; level: SupportLevel };

/**
 * What may be done with a supported person's record. Their coordinator and the leads of their team may do all of it;
 * a colleague it is shared with may read it while the share lasts; 'lead' is for the team's leads alone (giving
 * someone a new coordinator). Nobody else (site administrators and organisation
 * admins included) sees personal records at all.
 */
export type SupportLevel = 'read' | 'write' | 'manage' | 'lead';
export type SupportBasis = 'coordinator' | 'team-lead' | 'shared';
export type SupportContext = {
  personId: string;
  teamId: string;
  organisationId: string;
  /** Why this visitor may see the record: written to the audit log with every read. */
  basis: SupportBasis;
  share?: { id: string; purpose: string; endsOn: string };
};

export const access = {
  public: { kind: 'public' } as Access,
  signedIn: { kind: 'signed-in' } as Access,
  siteAdmin: { kind: 'site-admin' } as Access,
  organisation: (role: Role): Access => ({ kind: 'organisation', role }),
  /**
   * Members of the partnership named by the route's `:partnershipId`: people holding at least `role` in one of
   * its organisations (site admins too). The partnership is loaded once here and handed to the route.
   */
  partnership: (role: Role): Access => ({ kind: 'partnership', role }),
  /** People holding at least `role` in the partnership's lead organisation (and site admins): who runs it. */
  partnershipLead: (role: Role): Access => ({ kind: 'partnership', role, lead: true }),
  /** Members of any support team (coordinators and leads): their caseload, and recording someone new. */
  supportWorker: { kind: 'support-worker' } as Access,
  /** Leads of the support team named by the route's `:teamId`. */
  supportTeamLead: { kind: 'support-team' } as Access,
  /** The supported person named by the route's `:personId`; see SupportLevel. Every GET is audited as a read. */
  supportPerson: (level: SupportLevel): Access => ({ kind: 'support-person', level }),
};

export type PartnershipContext = {
  id: string;
  name: string;
  leadOrganisationId: string;
  /** The visitor's organisations that take part, with the visitor's role in each (empty for a site admin who is not in one). */
  memberOrganisations: { id: string; role: Role }[];
};

export type OrganisationContext = {
  id: string;
  slug: string;
  name: string;
  kind: string;
  /** The visitor's own role there; null for a site admin who is not a member. */
  role: Role | null;
};

export type Decision =
  | { outcome: 'allow'; organisation?: OrganisationContext; partnership?: PartnershipContext; support?: SupportContext }
  | { outcome: 'sign-in' }
  | { outcome: 'forbidden' }
  | { outcome: 'not-found' };

export function roleAtLeast(held: Role | null | undefined, needed: Role): boolean {
  return held != null && roles.indexOf(held) >= roles.indexOf(needed);
}

/** The single permission check. Pure apart from reading the organisation and membership. */
export async function decide(
  tx: Tx,
  rule: Access,
  user: SessionUser | null,
  params: Record<string, string | undefined>,
): Promise<Decision> {
  if (rule.kind === 'public') return { outcome: 'allow' };
  if (!user) return { outcome: 'sign-in' };
  if (rule.kind === 'signed-in') return { outcome: 'allow' };
  if (rule.kind === 'site-admin') return user.isSiteAdmin ? { outcome: 'allow' } : { outcome: 'forbidden' };
  if (rule.kind === 'support-worker' || rule.kind === 'support-team' || rule.kind === 'support-person') return decideSupport(tx, rule, user, params);

  if (rule.kind === 'partnership') {
    const id = params.partnershipId;
    if (!id) throw new Error('A partnership-scoped route needs a :partnershipId parameter');
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return { outcome: 'not-found' };
    const [found] = await tx.select({ id: partnerships.id, name: partnerships.name, leadOrganisationId: partnerships.leadOrganisationId }).from(partnerships).where(eq(partnerships.id, id));
    if (!found) return { outcome: 'not-found' };
    const mine = await tx
      .select({ id: memberships.organisationId, role: memberships.role })
      .from(memberships)
      .innerJoin(partnershipOrganisations, and(eq(partnershipOrganisations.organisationId, memberships.organisationId), eq(partnershipOrganisations.partnershipId, id)))
      .where(eq(memberships.userId, user.id));
    const partnership: PartnershipContext = { ...found, memberOrganisations: mine };
    const qualifying = rule.lead ? mine.filter((m) => m.id === found.leadOrganisationId) : mine;
    if (user.isSiteAdmin || qualifying.some((m) => roleAtLeast(m.role, rule.role))) return { outcome: 'allow', partnership };
    return { outcome: 'forbidden' };
  }

  const slug = params.slug;
  if (!slug) throw new Error('An organisation-scoped route needs a :slug parameter');
  const [org] = await tx
    .select({
      id: organisations.id,
      slug: organisations.slug,
      name: organisations.name,
      kind: organisations.kind,
      role: memberships.role,
    })
    .from(organisations)
    .leftJoin(memberships, and(eq(memberships.organisationId, organisations.id), eq(memberships.userId, user.id)))
    .where(eq(organisations.slug, slug));
  if (!org) return { outcome: 'not-found' };
  const organisation: OrganisationContext = { ...org, role: org.role ?? null };
  if (user.isSiteAdmin || roleAtLeast(org.role, rule.role)) return { outcome: 'allow', organisation };
  return { outcome: 'forbidden' };
}

const isUuid = (id: string | undefined): id is string => !!id && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/**
 * Personal records. Site administrators get no exception here: running the installation is not a reason to read
 * someone's support record. A record the visitor may not see is "not found", so its existence is not confirmed.
 */
async function decideSupport(tx: Tx, rule: Extract<Access, { kind: 'support-worker' | 'support-team' | 'support-person' }>, user: SessionUser, params: Record<string, string | undefined>): Promise<Decision> {
  if (rule.kind === 'support-worker') {
    const [member] = await tx.select({ teamId: supportTeamMembers.teamId }).from(supportTeamMembers).where(eq(supportTeamMembers.userId, user.id)).limit(1);
    return member ? { outcome: 'allow' } : { outcome: 'forbidden' };
  }
  if (rule.kind === 'support-team') {
    if (!isUuid(params.teamId)) return { outcome: 'not-found' };
    const [member] = await tx
      .select({ role: supportTeamMembers.role })
      .from(supportTeamMembers)
      .where(and(eq(supportTeamMembers.teamId, params.teamId), eq(supportTeamMembers.userId, user.id)));
    if (member?.role === 'lead') return { outcome: 'allow' };
    return member ? { outcome: 'forbidden' } : { outcome: 'not-found' };
  }
  if (!isUuid(params.personId)) return { outcome: 'not-found' };
  const [person] = await tx
    .select({ id: supportPeople.id, teamId: supportPeople.teamId, coordinatorUserId: supportPeople.coordinatorUserId, organisationId: supportTeams.organisationId, anonymisedAt: supportPeople.anonymisedAt })
    .from(supportPeople)
    .innerJoin(supportTeams, eq(supportTeams.id, supportPeople.teamId))
    .where(eq(supportPeople.id, params.personId));
  // Once erased under retention there is nothing personal left to show.
  if (!person || person.anonymisedAt) return { outcome: 'not-found' };
  const [member] = await tx
    .select({ role: supportTeamMembers.role })
    .from(supportTeamMembers)
    .where(and(eq(supportTeamMembers.teamId, person.teamId), eq(supportTeamMembers.userId, user.id)));
  const base = { personId: person.id, teamId: person.teamId, organisationId: person.organisationId };
  if (member?.role === 'lead') return { outcome: 'allow', support: { ...base, basis: 'team-lead' } };
  // A coordinator who has left the team no longer sees its people, even ones still assigned to them.
  if (member && person.coordinatorUserId === user.id) return rule.level === 'lead' ? { outcome: 'forbidden' } : { outcome: 'allow', support: { ...base, basis: 'coordinator' } };
  const [share] = await tx
    .select({ id: supportShares.id, purpose: supportShares.purpose, endsOn: supportShares.endsOn })
    .from(supportShares)
    .where(and(eq(supportShares.personId, person.id), eq(supportShares.sharedWithUserId, user.id), isNull(supportShares.revokedAt), sql`${supportShares.startsOn} <= current_date`, sql`${supportShares.endsOn} >= current_date`))
    .limit(1);
  if (share) return rule.level === 'read' ? { outcome: 'allow', support: { ...base, basis: 'shared', share } } : { outcome: 'forbidden' };
  return { outcome: 'not-found' };
}

export class AccessDenied extends Error {
  constructor(
    public readonly statusCode: 401 | 403 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'AccessDenied';
  }
}

/** Refuses to register a route that has not said who may use it. */
export function requireAccessDecision(route: RouteOptions): void {
  const rule = (route.config as { access?: Access } | undefined)?.access;
  if (!rule) {
    const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
    throw new Error(`Route ${methods} ${route.url} has no access rule: set config.access (see src/platform/auth/permissions.ts)`);
  }
}

/** preValidation hook: runs for every route, before its input is even validated. */
export async function authorize(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.is404) return; // the not-found page is for everyone
  const rule = request.routeOptions.config.access;
  if (!rule) throw new Error(`No access rule for ${request.method} ${request.url}`);
  const decision = await decide(
    request.server.database.db,
    rule,
    request.user,
    request.params as Record<string, string | undefined>,
  );
  if (rule.kind === 'support-worker' || rule.kind === 'support-team' || rule.kind === 'support-person') {
    // Personal data: never kept by a browser, a proxy or the page cache (refusals too, so none is kept by mistake).
    reply.header('cache-control', 'no-store');
  }
  switch (decision.outcome) {
    case 'allow':
      request.organisation = decision.organisation ?? null;
      request.partnership = decision.partnership ?? null;
      request.support = decision.support ?? null;
      if (decision.support && request.method === 'GET') await auditSupportRead(request, decision.support);
      return;
    case 'sign-in':
      if (isApiRequest(request) || request.method !== 'GET') throw new AccessDenied(401, 'Sign in to do this');
      return reply.redirect(`/sign-in?returnTo=${encodeURIComponent(request.url)}`, 302);
    case 'forbidden':
      throw new AccessDenied(403, 'You do not have permission to do this');
    case 'not-found':
      throw new AccessDenied(404, 'Page not found');
  }
}

/** Every read of a personal record, with who (the actor), when, and why (the basis, and a share's purpose). */
async function auditSupportRead(request: FastifyRequest, support: SupportContext): Promise<void> {
  await recordAudit(request.server.database.db, {
    actor: actorOf(request),
    action: 'support.person.read',
    objectType: 'support-person',
    objectId: support.personId,
    organisationId: support.organisationId,
    details: { basis: support.basis, page: request.routeOptions.url, ...(support.share ? { shareId: support.share.id, purpose: support.share.purpose } : {}) },
  });
}

export function isApiRequest(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/');
}

/**
 * Row-level sharing, for records an organisation owns and chooses how widely to share (local indicators
 * now; more later). The same rule serves a single record (canSee) and lists (visibleTo), so the two
 * cannot drift apart.
 *
 * - public: anyone;
 * - partners: anyone signed in who belongs to an organisation taking part (and site admins);
 * - organisation: members of the owning organisation (and site admins).
 */
export type Sharing = 'public' | 'partners' | 'organisation';
export type Viewer = { user: SessionUser | null; organisationIds: string[] };

export async function viewerOf(tx: Tx, user: SessionUser | null): Promise<Viewer> {
  if (!user) return { user: null, organisationIds: [] };
  const rows = await tx.select({ id: memberships.organisationId }).from(memberships).where(eq(memberships.userId, user.id));
  return { user, organisationIds: rows.map((r) => r.id) };
}

export function canSee(viewer: Viewer, sharing: Sharing, ownerOrganisationId: string | null): boolean {
  if (sharing === 'public') return true;
  if (!viewer.user) return false;
  if (viewer.user.isSiteAdmin) return true;
  if (sharing === 'partners') return viewer.organisationIds.length > 0;
  return ownerOrganisationId !== null && viewer.organisationIds.includes(ownerOrganisationId);
}

export function visibleTo(viewer: Viewer, sharingColumn: AnyColumn, ownerColumn: AnyColumn): SQL {
  if (viewer.user?.isSiteAdmin) return sql`true`;
  const own = viewer.organisationIds.length ? sql` or (${sharingColumn} = 'organisation' and ${ownerColumn} in (${sql.join(viewer.organisationIds.map((id) => sql`${id}::uuid`), sql`, `)}))` : sql``;
  const partners = viewer.user && viewer.organisationIds.length ? sql` or ${sharingColumn} = 'partners'` : sql``;
  return sql`(${sharingColumn} = 'public'${partners}${own})`;
}
