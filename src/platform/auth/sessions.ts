import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import type { Tx } from '../db/database.ts';
import { sessions, users } from './schema.ts';

export const sessionCookieName = 'pw_session';
/** A session ends after this long without use... */
export const idleTimeoutMs = 12 * 60 * 60 * 1000;
/** ...and after this long whatever happens, so a stolen cookie does not last for ever. */
export const absoluteTimeoutMs = 7 * 24 * 60 * 60 * 1000;

export type SessionUser = {
  id: string;
  email: string;
  name: string;
  isSiteAdmin: boolean;
  /** In a support team, so the header offers their caseload. */
  supportsPeople?: boolean;
};

export type Session = { tokenHash: string; user: SessionUser };

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function createSession(tx: Tx, userId: string): Promise<{ token: string; tokenHash: string }> {
  const token = newToken();
  const tokenHash = hashToken(token);
  await tx.insert(sessions).values({ tokenHash, userId, expiresAt: new Date(Date.now() + idleTimeoutMs) });
  return { token, tokenHash };
}

export async function findSession(tx: Tx, token: string): Promise<Session | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const tokenHash = hashToken(token);
  const now = new Date();
  const [row] = await tx
    .select({
      tokenHash: sessions.tokenHash,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
      id: users.id,
      email: users.email,
      name: users.name,
      isSiteAdmin: users.isSiteAdmin,
      disabledAt: users.disabledAt,
      supportsPeople: sql<boolean>`exists (select 1 from support_team_members m where m.user_id = ${users.id})`,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, now)));
  if (!row || row.disabledAt) return null;
  if (now.getTime() - row.createdAt.getTime() > absoluteTimeoutMs) {
    await tx.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
    return null;
  }
  // Extend the idle timeout at most once a minute: a write per page view would serialise busy sites.
  if (now.getTime() - row.lastSeenAt.getTime() > 60_000) {
    await tx
      .update(sessions)
      .set({ lastSeenAt: now, expiresAt: new Date(now.getTime() + idleTimeoutMs) })
      .where(eq(sessions.tokenHash, tokenHash));
  }
  return { tokenHash, user: { id: row.id, email: row.email, name: row.name, isSiteAdmin: row.isSiteAdmin, supportsPeople: Boolean(row.supportsPeople) } };
}

export async function destroySession(tx: Tx, tokenHash: string): Promise<void> {
  await tx.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}

/** Ends every session a person has except, optionally, the one they are using. */
export async function destroyOtherSessions(tx: Tx, userId: string, keepTokenHash?: string): Promise<void> {
  await tx
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), keepTokenHash ? sql`${sessions.tokenHash} <> ${keepTokenHash}` : undefined));
}

export async function deleteExpiredSessions(tx: Tx): Promise<void> {
  await tx.delete(sessions).where(lt(sessions.expiresAt, new Date()));
}
