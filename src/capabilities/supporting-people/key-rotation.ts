import { and, asc, gt, isNotNull, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import type { Keyring } from '../../platform/crypto/envelope.ts';
import type { Db } from '../../platform/db/database.ts';
import { seal } from './people.ts';
import { supportPeople } from './schema.ts';

/**
 * Rotating the key-encryption key: every person's data key not yet wrapped by the current key is re-wrapped by it.
 * The encrypted fields themselves are untouched (their data keys do not change). Done in batches, each in its own
 * transaction, so a large installation is not locked for long and an interrupted run can simply be run again.
 */

export type RotationResult = { rewrapped: number; alreadyCurrent: number; batches: number };

export async function rotateDataKeys(db: Db, keyring: Keyring, actor: Actor, batchSize = 200): Promise<RotationResult> {
  const result: RotationResult = { rewrapped: 0, alreadyCurrent: 0, batches: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const batch = await db
      .select({ id: supportPeople.id, wrappedKey: supportPeople.wrappedKey })
      .from(supportPeople)
      .where(and(isNotNull(supportPeople.wrappedKey), gt(supportPeople.id, after)))
      .orderBy(asc(supportPeople.id))
      .limit(batchSize);
    if (!batch.length) break;
    after = batch[batch.length - 1]!.id;
    const stale = batch.filter((p) => !keyring.isCurrent(p.wrappedKey!));
    result.alreadyCurrent += batch.length - stale.length;
    if (!stale.length) continue;
    await db.transaction(async (tx) => {
      for (const person of stale) {
        const rewrapped = keyring.rewrap(person.wrappedKey!, seal('support_people', person.id, 'key'));
        // Only if nobody changed it meanwhile (e.g. retention erasing it).
        await tx
          .update(supportPeople)
          .set({ wrappedKey: rewrapped })
          .where(sql`${supportPeople.id} = ${person.id} and ${supportPeople.wrappedKey} = ${person.wrappedKey}`);
      }
      await recordAudit(tx, { actor, action: 'keys.rotate', objectType: 'support-people', details: { rewrapped: stale.length, keyId: keyring.current.id } });
    });
    result.rewrapped += stale.length;
    result.batches += 1;
  }
  return result;
}
