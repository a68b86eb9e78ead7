import type { Tx } from '../db/database.ts';
import { auditEvents } from './schema.ts';

export type Actor = { userId: string | null; label: string; requestId?: string };

/** The signed-in person behind a web request, with the request id that ties the event to the logs. */
export function actorOf(request: { id: string; user: { id: string; email: string } | null }): Actor {
  return request.user
    ? { userId: request.user.id, label: request.user.email, requestId: request.id }
    : { userId: null, label: 'anonymous', requestId: request.id };
}

/** The command line acts as itself: there is no signed-in person behind it. */
export const cliActor: Actor = { userId: null, label: 'cli' };

export type AuditEntry = {
  actor: Actor;
  action: string;
  objectType: string;
  objectId?: string | null;
  organisationId?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
};

/**
 * Write one audit event. Call it with the transaction that makes the change, so the change and its
 * record commit or roll back together.
 */
export async function recordAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.insert(auditEvents).values({
    actorUserId: entry.actor.userId,
    actorLabel: entry.actor.label,
    action: entry.action,
    objectType: entry.objectType,
    objectId: entry.objectId ?? null,
    organisationId: entry.organisationId ?? null,
    requestId: entry.requestId ?? entry.actor.requestId ?? null,
    details: entry.details ?? {},
  });
}
