import { and, asc, desc, eq, isNull, ne, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { memberships, organisations, users } from '../../platform/auth/schema.ts';
import type { Tx } from '../../platform/db/database.ts';
import { formProblems, text, type Form, type FormErrors } from '../../platform/web/forms.ts';
import { supportShares } from './schema.ts';
import { longDate } from './web.ts';
import { dateOf } from '../../platform/web/dates.ts';

/**
 * Sharing a person's record with a named colleague in another organisation: only with the person's consent
 * (recorded with the share: when and how), for a stated purpose, and until an end date at most a year ahead.
 * Colleagues in the person's own organisation are not shared with: the team already gives the right people access.
 */

export const purposeMaxLength = 300;
const consentHowMaxLength = 200;

export { dateOf };

/** The same calendar day a year later (29 February becomes 1 March). */
export function yearAfter(isoDate: string): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() + 1);
  return d.toISOString().slice(0, 10);
}

export type ShareStatus = 'active' | 'not-started' | 'ended' | 'revoked';
export const shareStatusNames: Record<ShareStatus, string> = { active: 'Active', 'not-started': 'Not started yet', ended: 'Ended', revoked: 'Revoked' };

export type ShareLine = {
  id: string;
  userName: string;
  userEmail: string;
  organisationName: string;
  purpose: string;
  consentOn: string;
  consentHow: string;
  startsOn: string;
  endsOn: string;
  revokedAt: Date | null;
  sharedByName: string | null;
  status: ShareStatus;
};

export function shareStatusOf(share: { startsOn: string; endsOn: string; revokedAt: Date | null }, on: string): ShareStatus {
  if (share.revokedAt) return 'revoked';
  if (share.endsOn < on) return 'ended';
  if (share.startsOn > on) return 'not-started';
  return 'active';
}

/** Every share of a person's record, newest first, with who it is with (their name and organisation). */
export async function sharesOf(tx: Tx, personId: string, on: string): Promise<ShareLine[]> {
  const sharer = alias(users, 'sharer');
  const rows = await tx
    .select({
      id: supportShares.id,
      userName: users.name,
      userEmail: users.email,
      organisationName: organisations.name,
      purpose: supportShares.purpose,
      consentOn: supportShares.consentOn,
      consentHow: supportShares.consentHow,
      startsOn: supportShares.startsOn,
      endsOn: supportShares.endsOn,
      revokedAt: supportShares.revokedAt,
      sharedByName: sharer.name,
    })
    .from(supportShares)
    .innerJoin(users, eq(users.id, supportShares.sharedWithUserId))
    .innerJoin(organisations, eq(organisations.id, supportShares.sharedWithOrganisationId))
    .leftJoin(sharer, eq(sharer.id, supportShares.sharedBy))
    .where(eq(supportShares.personId, personId))
    .orderBy(desc(supportShares.createdAt), asc(supportShares.id));
  return rows.map((r) => ({ ...r, status: shareStatusOf(r, on) }));
}

/** Who a share is with: an active account, and the organisations they belong to other than the person's. */
async function colleagueByEmail(tx: Tx, email: string, personOrganisationId: string) {
  const [user] = await tx
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(and(sql`lower(${users.email}) = lower(${email})`, isNull(users.disabledAt)));
  if (!user) return null;
  const elsewhere = await tx
    .select({ id: organisations.id, name: organisations.name })
    .from(memberships)
    .innerJoin(organisations, eq(organisations.id, memberships.organisationId))
    .where(and(eq(memberships.userId, user.id), ne(memberships.organisationId, personOrganisationId)))
    .orderBy(organisations.name);
  return { ...user, organisations: elsewhere };
}

export type ShareContext = { personId: string; organisationId: string; consentStatus: string; today: string };

export type ShareOutcome = { ok: true; shareId: string; userName: string; endsOn: string } | { ok: false; errors: FormErrors; organisationChoices: { id: string; name: string }[] | null };

/** Checks a "Share this record" form and, when it is right, records the share and its audit event. Changes nothing otherwise. */
export async function createShare(tx: Tx, form: Form, context: ShareContext, actor: Actor): Promise<ShareOutcome> {
  const { errors, fail } = formProblems();
  if (context.consentStatus !== 'given') {
    fail('email', 'This record cannot be shared: the person has not consented to Patchwork keeping it');
    return { ok: false, errors, organisationChoices: null };
  }
  const email = text(form, 'email').trim();
  let organisationChoices: { id: string; name: string }[] | null = null;
  let organisationId: string | null = null;
  let colleague: Awaited<ReturnType<typeof colleagueByEmail>> = null;
  if (!email) fail('email', 'Enter the email address of the colleague to share with');
  else if (email.length > 320 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) fail('email', 'Enter an email address in the correct format, like name@example.org');
  else {
    colleague = await colleagueByEmail(tx, email, context.organisationId);
    if (!colleague) fail('email', 'There is no Patchwork account with that email address: ask them to be invited to their organisation first');
    else if (!colleague.organisations.length)
      fail('email', `${colleague.name} is not in an organisation other than this person’s team’s organisation. Colleagues inside the organisation get access through the support team, not by sharing`);
    else if (colleague.organisations.length === 1) organisationId = colleague.organisations[0]!.id;
    else {
      organisationChoices = colleague.organisations;
      const chosen = text(form, 'organisationId');
      if (colleague.organisations.some((o) => o.id === chosen)) organisationId = chosen;
      else fail('organisationId', `${colleague.name} belongs to more than one organisation: choose the one they will use this record for`);
    }
  }
  const purpose = text(form, 'purpose').trim();
  if (!purpose) fail('purpose', 'Enter the purpose of sharing the record');
  else if (purpose.length > purposeMaxLength) fail('purpose', `The purpose must be ${purposeMaxLength} characters or fewer`);
  if (text(form, 'consented') !== 'yes') fail('consented', 'Confirm that the person has consented to this sharing');
  const consentOn = dateOf(form, 'consentOn');
  if (consentOn === null) fail('consentOn', 'Enter the date the person consented');
  else if (consentOn === 'invalid') fail('consentOn', 'The date of consent must be a real date, like 14 9 2026');
  else if (consentOn > context.today) fail('consentOn', 'The date of consent must be today or in the past');
  const consentHow = text(form, 'consentHow').trim();
  if (!consentHow) fail('consentHow', 'Enter how the person gave consent, for example in person or by phone');
  else if (consentHow.length > consentHowMaxLength) fail('consentHow', `How consent was given must be ${consentHowMaxLength} characters or fewer`);
  const startsOn = dateOf(form, 'startsOn') ?? context.today;
  if (startsOn === 'invalid') fail('startsOn', 'The start date must be a real date, like 14 9 2026');
  const endsOn = dateOf(form, 'endsOn');
  const latestEnd = yearAfter(context.today);
  if (endsOn === null) fail('endsOn', 'Enter the date the sharing ends');
  else if (endsOn === 'invalid') fail('endsOn', 'The end date must be a real date, like 14 9 2026');
  else if (startsOn !== 'invalid' && endsOn <= startsOn) fail('endsOn', 'The end date must be after the start date');
  else if (endsOn > latestEnd) fail('endsOn', `The end date must be no more than a year from today (${longDate(latestEnd)}); share again later if it is still needed`);
  if (errors.summary.length || !colleague || !organisationId || !consentOn || consentOn === 'invalid' || startsOn === 'invalid' || !endsOn || endsOn === 'invalid') {
    return { ok: false, errors, organisationChoices };
  }
  const [share] = await tx
    .insert(supportShares)
    .values({ personId: context.personId, sharedWithUserId: colleague.id, sharedWithOrganisationId: organisationId, sharedBy: actor.userId, purpose, consentOn, consentHow, startsOn, endsOn })
    .returning({ id: supportShares.id });
  await recordAudit(tx, {
    actor,
    action: 'support.share.create',
    objectType: 'support-person',
    objectId: context.personId,
    organisationId: context.organisationId,
    details: { shareId: share!.id, sharedWithUserId: colleague.id, sharedWithOrganisationId: organisationId, purpose, startsOn, endsOn },
  });
  return { ok: true, shareId: share!.id, userName: colleague.name, endsOn };
}

/** Ends a share now; the row stays so who had access stays known. False when there is no such share still in force. */
export async function revokeShare(tx: Tx, personId: string, shareId: string, organisationId: string, actor: Actor): Promise<boolean> {
  const revoked = await tx
    .update(supportShares)
    .set({ revokedAt: new Date(), revokedBy: actor.userId })
    .where(and(eq(supportShares.id, shareId), eq(supportShares.personId, personId), isNull(supportShares.revokedAt)))
    .returning({ id: supportShares.id });
  if (!revoked.length) return false;
  await recordAudit(tx, { actor, action: 'support.share.revoke', objectType: 'support-person', objectId: personId, organisationId, details: { shareId } });
  return true;
}
