import { and, asc, count, eq, ne } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { memberships, organisations, users, type OrganisationKind, type Role } from '../../platform/auth/schema.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { createInvitation, createUser, findUserByEmail, type Result } from '../accounts/service.ts';

export const kindLabels: Record<OrganisationKind, string> = {
  council: 'Council',
  nhs: 'NHS or primary care network',
  police: 'Police',
  housing: 'Housing provider',
  vcse: 'Voluntary, community or social enterprise',
  school: 'School or college',
  'community-group': 'Community group',
  other: 'Other',
};

export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/g, '');
  return slug || 'organisation';
}

async function uniqueSlug(tx: Tx, name: string): Promise<string> {
  const base = slugify(name);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    const [taken] = await tx.select({ id: organisations.id }).from(organisations).where(eq(organisations.slug, candidate));
    if (!taken) return candidate;
  }
}

/** Every organisation with its member count; just one when `slug` is given. */
export async function listOrganisations(db: Db, slug?: string) {
  return db
    .select({
      slug: organisations.slug,
      name: organisations.name,
      kind: organisations.kind,
      description: organisations.description,
      website: organisations.website,
      members: count(memberships.userId),
    })
    .from(organisations)
    .leftJoin(memberships, eq(memberships.organisationId, organisations.id))
    .where(slug === undefined ? undefined : eq(organisations.slug, slug))
    .groupBy(organisations.id)
    .orderBy(asc(organisations.name));
}

export async function findOrganisation(db: Db, slug: string) {
  const [org] = await db.select().from(organisations).where(eq(organisations.slug, slug));
  return org ?? null;
}

export type OrganisationInput = { name: string; kind: OrganisationKind; description: string; website?: string | undefined };

export async function createOrganisation(db: Db, input: OrganisationInput, actor: Actor): Promise<{ slug: string; id: string }> {
  return db.transaction(async (tx) => {
    const slug = await uniqueSlug(tx, input.name);
    const [org] = await tx
      .insert(organisations)
      .values({ slug, name: input.name, kind: input.kind, description: input.description, website: input.website ?? null })
      .returning({ id: organisations.id, slug: organisations.slug });
    await recordAudit(tx, { actor, action: 'organisation.created', objectType: 'organisation', objectId: org!.id, organisationId: org!.id, details: { name: input.name, kind: input.kind } });
    return org!;
  });
}

export async function updateOrganisation(db: Db, id: string, input: OrganisationInput, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(organisations)
      .set({ name: input.name, kind: input.kind, description: input.description, website: input.website ?? null })
      .where(eq(organisations.id, id));
    await recordAudit(tx, { actor, action: 'organisation.updated', objectType: 'organisation', objectId: id, organisationId: id, details: { name: input.name, kind: input.kind } });
  });
}

export async function listMembers(db: Db, organisationId: string) {
  return db
    .select({ userId: users.id, name: users.name, email: users.email, role: memberships.role, since: memberships.createdAt, hasPassword: users.passwordHash })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.organisationId, organisationId))
    .orderBy(asc(users.name))
    .then((rows) => rows.map(({ hasPassword, ...row }) => ({ ...row, invited: hasPassword === null })));
}

/**
 * Adds a person to an organisation. Someone new gets an account without a password and a one-time
 * link, returned here for the admin to pass on, to set one.
 */
export async function addMember(
  db: Db,
  organisationId: string,
  input: { email: string; name: string; role: Role },
  actor: Actor,
): Promise<Result<{ userId: string; invitationToken: string | null }>> {
  return db.transaction(async (tx) => {
    let user = await findUserByEmail(tx, input.email);
    let invitationToken: string | null = null;
    if (user) {
      const [existing] = await tx
        .select()
        .from(memberships)
        .where(and(eq(memberships.userId, user.id), eq(memberships.organisationId, organisationId)));
      if (existing) return { ok: false as const, field: 'email', message: `${user.name} is already a member of this organisation` };
    } else {
      if (!input.name.trim()) return { ok: false as const, field: 'name', message: 'Enter the person’s name: they do not have a Patchwork account yet' };
      const created = await createUser(tx, { email: input.email, name: input.name }, actor);
      if (!created.ok) return created;
      invitationToken = await createInvitation(tx, { userId: created.value.id, organisationId }, actor);
      user = (await findUserByEmail(tx, input.email))!;
    }
    await tx.insert(memberships).values({ userId: user.id, organisationId, role: input.role });
    await recordAudit(tx, { actor, action: 'membership.created', objectType: 'user', objectId: user.id, organisationId, details: { role: input.role } });
    return { ok: true as const, value: { userId: user.id, invitationToken } };
  });
}

async function otherAdmins(tx: Tx, organisationId: string, userId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(memberships)
    .where(and(eq(memberships.organisationId, organisationId), eq(memberships.role, 'admin'), ne(memberships.userId, userId)));
  return row?.n ?? 0;
}

export async function changeRole(db: Db, organisationId: string, userId: string, role: Role, actor: Actor): Promise<Result<null>> {
  return db.transaction(async (tx) => {
    const [membership] = await tx.select().from(memberships).where(and(eq(memberships.organisationId, organisationId), eq(memberships.userId, userId)));
    if (!membership) return { ok: false as const, field: 'role', message: 'That person is not a member of this organisation' };
    if (membership.role === 'admin' && role !== 'admin' && (await otherAdmins(tx, organisationId, userId)) === 0) {
      return { ok: false as const, field: 'role', message: 'An organisation must keep at least one admin: make someone else an admin first' };
    }
    await tx.update(memberships).set({ role }).where(and(eq(memberships.organisationId, organisationId), eq(memberships.userId, userId)));
    await recordAudit(tx, { actor, action: 'membership.role-changed', objectType: 'user', objectId: userId, organisationId, details: { from: membership.role, to: role } });
    return { ok: true as const, value: null };
  });
}

export async function removeMember(db: Db, organisationId: string, userId: string, actor: Actor): Promise<Result<null>> {
  return db.transaction(async (tx) => {
    const [membership] = await tx.select().from(memberships).where(and(eq(memberships.organisationId, organisationId), eq(memberships.userId, userId)));
    if (!membership) return { ok: false as const, field: 'role', message: 'That person is not a member of this organisation' };
    if (membership.role === 'admin' && (await otherAdmins(tx, organisationId, userId)) === 0) {
      return { ok: false as const, field: 'role', message: 'An organisation must keep at least one admin: make someone else an admin first' };
    }
    await tx.delete(memberships).where(and(eq(memberships.organisationId, organisationId), eq(memberships.userId, userId)));
    await recordAudit(tx, { actor, action: 'membership.removed', objectType: 'user', objectId: userId, organisationId, details: { role: membership.role } });
    return { ok: true as const, value: null };
  });
}
