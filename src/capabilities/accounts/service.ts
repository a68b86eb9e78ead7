import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { hashPassword, passwordProblem, verifyPassword } from '../../platform/auth/passwords.ts';
import { memberships, organisations, users } from '../../platform/auth/schema.ts';
import { destroyOtherSessions, hashToken, newToken } from '../../platform/auth/sessions.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { invitations } from './schema.ts';

export type Result<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

export const invitationLifetimeMs = 7 * 24 * 60 * 60 * 1000;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function findUserByEmail(tx: Tx, email: string) {
  const [user] = await tx.select().from(users).where(sql`lower(${users.email}) = ${normaliseEmail(email)}`);
  return user ?? null;
}

/** Checks an email and password; the same answer whether the email is unknown or the password wrong. */
export async function checkCredentials(db: Db, email: string, password: string) {
  const user = await findUserByEmail(db, email);
  const valid = await verifyPassword(user?.passwordHash, password);
  if (!user || !valid || user.disabledAt) return null;
  return user;
}

export type NewUser = { email: string; name: string; password?: string; isSiteAdmin?: boolean };

/** Creates an account. Without a password the person sets one through an invitation. */
export async function createUser(tx: Tx, input: NewUser, actor: Actor): Promise<Result<{ id: string }>> {
  const email = normaliseEmail(input.email);
  if (await findUserByEmail(tx, email)) return { ok: false, field: 'email', message: 'An account with this email address already exists' };
  let passwordHash: string | null = null;
  if (input.password !== undefined) {
    const problem = passwordProblem(input.password, email);
    if (problem) return { ok: false, field: 'password', message: problem };
    passwordHash = await hashPassword(input.password);
  }
  const [user] = await tx
    .insert(users)
    .values({ email, name: input.name.trim(), passwordHash, isSiteAdmin: input.isSiteAdmin ?? false })
    .returning({ id: users.id });
  await recordAudit(tx, {
    actor,
    action: 'user.created',
    objectType: 'user',
    objectId: user!.id,
    details: { siteAdmin: input.isSiteAdmin ?? false, withPassword: passwordHash !== null },
  });
  return { ok: true, value: { id: user!.id } };
}

export async function changePassword(
  db: Db,
  input: { userId: string; currentPassword: string; newPassword: string; keepSessionTokenHash: string },
  actor: Actor,
): Promise<Result<null>> {
  const [user] = await db.select().from(users).where(eq(users.id, input.userId));
  if (!user || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
    return { ok: false, field: 'currentPassword', message: 'Your current password is not correct' };
  }
  const problem = passwordProblem(input.newPassword, user.email);
  if (problem) return { ok: false, field: 'newPassword', message: problem };
  const passwordHash = await hashPassword(input.newPassword);
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, user.id));
    // A changed password must lock out anyone else using the old one.
    await destroyOtherSessions(tx, user.id, input.keepSessionTokenHash);
    await recordAudit(tx, { actor, action: 'user.password-changed', objectType: 'user', objectId: user.id });
  });
  return { ok: true, value: null };
}

/** Issues a one-time link for a person to set their password. Only the hash is kept. */
export async function createInvitation(
  tx: Tx,
  input: { userId: string; organisationId: string | null },
  actor: Actor,
): Promise<string> {
  const token = newToken();
  await tx.insert(invitations).values({
    tokenHash: hashToken(token),
    userId: input.userId,
    organisationId: input.organisationId,
    createdBy: actor.userId,
    expiresAt: new Date(Date.now() + invitationLifetimeMs),
  });
  await recordAudit(tx, {
    actor,
    action: 'invitation.created',
    objectType: 'user',
    objectId: input.userId,
    organisationId: input.organisationId,
  });
  return token;
}

export async function findOpenInvitation(tx: Tx, token: string) {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const [row] = await tx
    .select({
      tokenHash: invitations.tokenHash,
      userId: users.id,
      email: users.email,
      name: users.name,
      organisationName: organisations.name,
    })
    .from(invitations)
    .innerJoin(users, eq(users.id, invitations.userId))
    .leftJoin(organisations, eq(organisations.id, invitations.organisationId))
    .where(and(eq(invitations.tokenHash, hashToken(token)), isNull(invitations.usedAt), gt(invitations.expiresAt, new Date())));
  return row ?? null;
}

export async function acceptInvitation(db: Db, token: string, password: string): Promise<Result<{ userId: string }>> {
  const invitation = await findOpenInvitation(db, token);
  if (!invitation) return { ok: false, field: 'password', message: 'This invitation link has expired or has already been used' };
  const problem = passwordProblem(password, invitation.email);
  if (problem) return { ok: false, field: 'password', message: problem };
  const passwordHash = await hashPassword(password);
  await db.transaction(async (tx) => {
    await tx.update(invitations).set({ usedAt: new Date() }).where(eq(invitations.tokenHash, invitation.tokenHash));
    await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, invitation.userId));
    await recordAudit(tx, {
      actor: { userId: invitation.userId, label: invitation.email },
      action: 'invitation.accepted',
      objectType: 'user',
      objectId: invitation.userId,
    });
  });
  return { ok: true, value: { userId: invitation.userId } };
}

export async function membershipsOf(tx: Tx, userId: string) {
  return tx
    .select({ slug: organisations.slug, name: organisations.name, kind: organisations.kind, role: memberships.role })
    .from(memberships)
    .innerJoin(organisations, eq(organisations.id, memberships.organisationId))
    .where(eq(memberships.userId, userId))
    .orderBy(organisations.name);
}
