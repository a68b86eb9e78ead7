import { randomBytes } from 'node:crypto';
import { eq, isNotNull } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { cliActor } from '../../platform/audit/audit.ts';
import { auditEvents } from '../../platform/audit/schema.ts';
import { Keyring, KeyError } from '../../platform/crypto/envelope.ts';
import { readPerson } from './people.ts';
import { rotateDataKeys } from './key-rotation.ts';
import { supportPeople } from './schema.ts';
import { samplePerson, secretName, seedSupportTeams } from './testing.ts';

describe.each(engines)('rotating the key-encryption key on %s', (engine) => {
  const h = useSeededApp(engine);
  const ids: string[] = [];

  beforeAll(async () => {
    const f = await seedSupportTeams(h.database, h.seed);
    for (let i = 0; i < 5; i++) ids.push(await samplePerson(h.database.db, h.app.keyring, i % 2 ? f.southTeamId : f.northTeamId, f.userIds.coordinator));
  });

  it('re-wraps every data key with the new key, in batches, after which the new key alone reads everyone', async () => {
    const oldKey = h.app.keyring.current.key;
    const newKey = randomBytes(32);
    const rotating = new Keyring(newKey, [oldKey]);
    const before = await h.database.db.select({ id: supportPeople.id, wrappedKey: supportPeople.wrappedKey }).from(supportPeople);
    expect(before.every((p) => !rotating.isCurrent(p.wrappedKey!))).toBe(true);

    expect(await rotateDataKeys(h.database.db, rotating, cliActor, 2)).toEqual({ rewrapped: 5, alreadyCurrent: 0, batches: 3 });

    const newOnly = new Keyring(newKey);
    for (const id of ids) expect((await readPerson(h.database.db, newOnly, id))?.name).toBe(secretName);
    await expect(readPerson(h.database.db, new Keyring(oldKey), ids[0]!)).rejects.toThrow(KeyError);
    const after = await h.database.db.select({ wrappedKey: supportPeople.wrappedKey }).from(supportPeople).where(isNotNull(supportPeople.wrappedKey));
    expect(after.every((p) => newOnly.isCurrent(p.wrappedKey!))).toBe(true);
    const events = await h.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'keys.rotate'));
    expect(events.reduce((sum, e) => sum + Number((e.details as { rewrapped: number }).rewrapped), 0)).toBe(5);

    // Running it again finds nothing to do.
    expect(await rotateDataKeys(h.database.db, rotating, cliActor, 2)).toEqual({ rewrapped: 0, alreadyCurrent: 5, batches: 0 });
  });

  it('stops with a key error, changing nothing in that batch, when a data key was wrapped by a key it does not have', async () => {
    const stranger = new Keyring(randomBytes(32));
    await expect(rotateDataKeys(h.database.db, stranger, cliActor)).rejects.toThrow(KeyError);
  });
});
