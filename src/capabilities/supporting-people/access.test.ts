import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { decide, type SupportLevel } from '../../platform/auth/permissions.ts';
import { users } from '../../platform/auth/schema.ts';
import type { SessionUser } from '../../platform/auth/sessions.ts';
import { readPerson } from './people.ts';
import { supportShares } from './schema.ts';
import { samplePerson, secretName, seedSupportTeams, supportVisitors, type SupportPeopleFixture, type SupportVisitor } from './testing.ts';

/** The permission decision for personal records, for every kind of visitor (the pages' own matrix is in the route tests). */
describe.each(engines)('who may open a supported person’s record on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: SupportPeopleFixture;
  let personId: string;
  const asUser = async (who: SupportVisitor): Promise<SessionUser> => {
    const [u] = await h.database.db.select().from(users).where(eq(users.id, f.userIds[who]));
    return { id: u!.id, email: u!.email, name: u!.name, isSiteAdmin: u!.isSiteAdmin } as SessionUser;
  };
  const outcome = async (who: SupportVisitor | 'anonymous', level: SupportLevel) => {
    const user = who === 'anonymous' ? null : await asUser(who);
    const d = await decide(h.database.db, { kind: 'support-person', level }, user, { personId });
    return d.outcome === 'allow' ? `allow:${d.support?.basis}` : d.outcome;
  };

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
    personId = await samplePerson(h.database.db, h.app.keyring, f.northTeamId, f.userIds.coordinator);
  });

  it('reads the sample person back decrypted', async () => {
    expect((await readPerson(h.database.db, h.app.keyring, personId))?.name).toBe(secretName);
  });

  it('lets only their coordinator and their team’s lead in; everyone else is told it is not there', async () => {
    const expected: Record<SupportVisitor | 'anonymous', string> = {
      coordinator: 'allow:coordinator',
      lead: 'allow:team-lead',
      south: 'not-found',
      elsewhere: 'not-found',
      partner: 'not-found',
      admin: 'not-found',
      'site-admin': 'not-found',
      anonymous: 'sign-in',
    };
    for (const level of ['read', 'write', 'manage'] as const) {
      for (const who of [...supportVisitors, 'anonymous'] as const) expect([level, who, await outcome(who, level)]).toEqual([level, who, expected[who]]);
    }
  });

  it('keeps giving someone a new coordinator for the team’s leads', async () => {
    expect(await outcome('lead', 'lead')).toBe('allow:team-lead');
    expect(await outcome('coordinator', 'lead')).toBe('forbidden');
    expect(await outcome('south', 'lead')).toBe('not-found');
  });

  it('lets a colleague in another organisation read, only while a share lasts and until it is revoked', async () => {
    const [share] = await h.database.db
      .insert(supportShares)
      .values({ personId, sharedWithUserId: f.userIds.elsewhere, sharedWithOrganisationId: f.otherOrganisationId, sharedBy: f.userIds.coordinator, purpose: 'Joint support with the practice', consentOn: '2026-09-02', consentHow: 'In person', startsOn: '2026-01-01', endsOn: '2099-12-31' })
      .returning({ id: supportShares.id });
    expect(await outcome('elsewhere', 'read')).toBe('allow:shared');
    expect(await outcome('elsewhere', 'write')).toBe('forbidden');
    await h.database.db.update(supportShares).set({ endsOn: '2026-01-02' }).where(eq(supportShares.id, share!.id));
    expect(await outcome('elsewhere', 'read')).toBe('not-found');
    await h.database.db.update(supportShares).set({ endsOn: '2099-12-31', revokedAt: new Date() }).where(eq(supportShares.id, share!.id));
    expect(await outcome('elsewhere', 'read')).toBe('not-found');
  });
});
