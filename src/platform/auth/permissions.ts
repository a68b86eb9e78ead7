import { and, eq, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Tx } from '../db/database.ts';
import { memberships, organisations, roles, type Role } from './schema.ts';
import { partnershipOrganisations, partnerships } from '../../capabilities/partnerships/schema.ts';
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
  | { kind: 'partnership'; role: Role; lead?: boolean };

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
  | { outcome: 'allow'; organisation?: OrganisationContext; partnership?: PartnershipContext }
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
  switch (decision.outcome) {
    case 'allow':
      request.organisation = decision.organisation ?? null;
      request.partnership = decision.partnership ?? null;
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
