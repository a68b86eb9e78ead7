import { and, asc, desc, eq, inArray, or, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { memberships, organisations, users } from '../../platform/auth/schema.ts';
import { visibleTo, type Viewer } from '../../platform/auth/permissions.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { Mailer } from './mailer.ts';
import { areas } from '../geography/schema.ts';
import { indicators } from '../indicators/schema.ts';
import { voiceCampaigns, voiceThemes } from '../community-voice/schema.ts';
import { defaultThreshold, fewerThan, suppress } from '../../platform/statistics/suppression.ts';
import { actionStatuses, actions, actionUpdates, partnershipOrganisations, partnerships, priorities, priorityEvidence, strategicAims, type ActionStatus } from './schema.ts';
import { todayInEngland } from '../../platform/web/dates.ts';

/**
 * The plan: strategic aims (set once by a council or system partner), each partnership's priorities serving
 * them with the evidence behind each, the actions its organisations own, and the updates on those actions.
 *
 * Who may reach a partnership's plan at all is decided by permissions.ts. Within a partnership there is one
 * more rule, about data rather than access: an action belongs to the organisation that owns it, and only
 * that organisation's members may change it or make it public ("each organisation keeps control of what it
 * shares"). That rule is checked here, because it depends on the row being changed.
 */

export class PlanError extends Error {
  constructor(
    public readonly field: string,
    message: string,
    public readonly statusCode: 400 | 403 | 404 | 409 = 400,
  ) {
    super(message);
    this.name = 'PlanError';
  }
}

/** The person changing the plan: the organisations in which they may edit (member or above). */
export type Editor = { actor: Actor; organisationIds: string[] };

export const statusWords: Record<ActionStatus, string> = {
  'not-started': 'Not started',
  'on-track': 'On track',
  'at-risk': 'At risk',
  'off-track': 'Off track',
  done: 'Done',
};

export const isDate = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

export { todayInEngland };

export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// ---- Roll-ups (pure) ----------------------------------------------------------------------------------------

export type RollupInput = { status: ActionStatus; dueOn: string | null };
export type Rag = ActionStatus;
export type Rollup = { total: number; byStatus: Record<ActionStatus, number>; overdue: number; percentDone: number | null; rag: Rag };

export const isOverdue = (a: RollupInput, today: string) => a.status !== 'done' && a.dueOn !== null && a.dueOn < today;

/**
 * The overall status of a set of actions (a priority's, an aim's or a whole plan's), in this order:
 * 1. none at all, or none started yet (all not-started): not started;
 * 2. all done: done;
 * 3. any off track, or any overdue (due before today and not done): off track — a missed date is a problem
 *    whatever the owner last said;
 * 4. any at risk: at risk;
 * 5. otherwise (some on track or done, the rest not yet started): on track.
 */
export function ragOf(items: RollupInput[], today: string): Rag {
  if (items.length === 0 || items.every((a) => a.status === 'not-started')) return 'not-started';
  if (items.every((a) => a.status === 'done')) return 'done';
  if (items.some((a) => a.status === 'off-track' || isOverdue(a, today))) return 'off-track';
  if (items.some((a) => a.status === 'at-risk')) return 'at-risk';
  return 'on-track';
}

export function rollup(items: RollupInput[], today: string): Rollup {
  const byStatus = Object.fromEntries(actionStatuses.map((s) => [s, 0])) as Record<ActionStatus, number>;
  for (const a of items) byStatus[a.status]++;
  return {
    total: items.length,
    byStatus,
    overdue: items.filter((a) => isOverdue(a, today)).length,
    percentDone: items.length ? Math.round((byStatus.done / items.length) * 100) : null,
    rag: ragOf(items, today),
  };
}

/** "3 actions: 1 done, 1 on track, 1 at risk; 1 overdue" — the roll-up in words, never by colour alone. */
export function rollupWords(r: Rollup): string {
  if (r.total === 0) return 'No actions yet';
  const parts = actionStatuses.filter((s) => r.byStatus[s] > 0).map((s) => `${r.byStatus[s]} ${statusWords[s].toLowerCase()}`);
  return `${r.total} action${r.total === 1 ? '' : 's'}: ${parts.join(', ')}${r.overdue ? `; ${r.overdue} overdue` : ''}; ${r.percentDone}% done`;
}

// ---- Strategic aims -----------------------------------------------------------------------------------------

export type AimInput = { title: string; description: string };

function checkAim(input: AimInput) {
  if (!input.title.trim()) throw new PlanError('title', 'Enter the aim');
  if (input.title.length > 300) throw new PlanError('title', 'The aim must be 300 characters or fewer');
  if (input.description.length > 5000) throw new PlanError('description', 'The description must be 5,000 characters or fewer');
}

export async function createAim(db: Db, organisationId: string, input: AimInput, actor: Actor): Promise<string> {
  checkAim(input);
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(strategicAims).values({ ownerOrganisationId: organisationId, title: input.title.trim(), description: input.description.trim() || null }).returning({ id: strategicAims.id });
    await recordAudit(tx, { actor, action: 'aim.created', objectType: 'strategic_aim', objectId: row!.id, organisationId, details: { title: input.title.trim() } });
    return row!.id;
  });
}

/** Only the organisation that set an aim may reword it; `version` is the one the editor saw. */
export async function editAim(db: Db, aimId: string, version: number, input: AimInput, editor: Editor): Promise<void> {
  checkAim(input);
  await db.transaction(async (tx) => {
    const [aim] = await tx.select().from(strategicAims).where(eq(strategicAims.id, aimId));
    if (!aim) throw new PlanError('form', 'There is no such aim', 404);
    if (!editor.organisationIds.includes(aim.ownerOrganisationId)) throw new PlanError('form', 'Only the organisation that set this aim can change it', 403);
    const changed = await tx
      .update(strategicAims)
      .set({ title: input.title.trim(), description: input.description.trim() || null, version: sql`${strategicAims.version} + 1`, updatedAt: new Date() })
      .where(and(eq(strategicAims.id, aimId), eq(strategicAims.version, version)))
      .returning({ id: strategicAims.id });
    if (!changed.length) throw new PlanError('form', conflictMessage, 409);
    await recordAudit(tx, { actor: editor.actor, action: 'aim.edited', objectType: 'strategic_aim', objectId: aimId, organisationId: aim.ownerOrganisationId, details: { title: input.title.trim() } });
  });
}

export type Aim = { id: string; title: string; description: string | null; ownerOrganisationId: string; ownerName: string; version: number };

export async function listAims(tx: Tx): Promise<Aim[]> {
  return tx
    .select({ id: strategicAims.id, title: strategicAims.title, description: strategicAims.description, ownerOrganisationId: strategicAims.ownerOrganisationId, ownerName: organisations.name, version: strategicAims.version })
    .from(strategicAims)
    .innerJoin(organisations, eq(organisations.id, strategicAims.ownerOrganisationId))
    .orderBy(asc(organisations.name), asc(strategicAims.title));
}

export async function getAim(tx: Tx, aimId: string): Promise<Aim | null> {
  if (!isUuid(aimId)) return null;
  return (await listAims(tx)).find((a) => a.id === aimId) ?? null;
}

export const conflictMessage = 'Someone else changed this while you were editing: here is what it says now; make your change again';

// ---- Priorities and evidence -------------------------------------------------------------------------------

export type PriorityInput = { title: string; description: string; aimId: string };

export async function createPriority(db: Db, partnershipId: string, input: PriorityInput, actor: Actor): Promise<string> {
  if (!input.title.trim()) throw new PlanError('title', 'Enter the priority');
  if (input.title.length > 300) throw new PlanError('title', 'The priority must be 300 characters or fewer');
  if (input.description.length > 5000) throw new PlanError('description', 'The description must be 5,000 characters or fewer');
  return db.transaction(async (tx) => {
    if (input.aimId && !(await getAim(tx, input.aimId))) throw new PlanError('aimId', 'Choose a strategic aim from the list, or “Not linked to an aim”');
    const [{ next }] = (await tx.select({ next: sql<number>`coalesce(max(${priorities.position}), -1)::int + 1` }).from(priorities).where(eq(priorities.partnershipId, partnershipId))) as [{ next: number }];
    const [row] = await tx
      .insert(priorities)
      .values({ partnershipId, aimId: input.aimId || null, title: input.title.trim(), description: input.description.trim() || null, position: next })
      .returning({ id: priorities.id });
    await recordAudit(tx, { actor, action: 'priority.created', objectType: 'priority', objectId: row!.id, details: { partnershipId, title: input.title.trim(), aimId: input.aimId || null } });
    return row!.id;
  });
}

export type EvidenceInput = {
  kind: string;
  indicatorId: string;
  areaCode: string;
  note: string;
  /** For voice-theme: a listening campaign of one of the partnership's organisations, and optionally one of its organisation's themes. */
  voiceCampaignId?: string;
  voiceThemeId?: string;
};

/**
 * Links a priority to what it rests on. Indicators must exist and be visible to the person linking them (a
 * partner's private local data cannot be cited through a shared plan); areas must exist in some vintage.
 * What residents said is either a campaign of one of the partnership's organisations (with one of that
 * organisation's themes, or none for the campaign as a whole) or, as before, a note in words.
 */
export async function addEvidence(db: Db, partnershipId: string, priorityId: string, input: EvidenceInput, viewer: Viewer, actor: Actor): Promise<string> {
  const kind = input.kind;
  const note = input.note.trim();
  if (note.length > 2000) throw new PlanError('note', 'The note must be 2,000 characters or fewer');
  return db.transaction(async (tx) => {
    const [priority] = await tx.select({ id: priorities.id }).from(priorities).where(and(eq(priorities.id, priorityId), eq(priorities.partnershipId, partnershipId)));
    if (!priority) throw new PlanError('form', 'There is no such priority in this partnership', 404);
    const areaCode = input.areaCode.trim().toUpperCase();
    const indicatorId = input.indicatorId.trim();
    const checkArea = async () => {
      if (!areaCode) throw new PlanError('areaCode', 'Enter the area code, like E05000841');
      const [found] = await tx.select({ code: areas.code }).from(areas).where(eq(areas.code, areaCode)).limit(1);
      if (!found) throw new PlanError('areaCode', `There is no area with the code ${areaCode}`);
    };
    let row: typeof priorityEvidence.$inferInsert;
    if (kind === 'indicator') {
      if (!indicatorId) throw new PlanError('indicatorId', 'Enter the indicator, like iod2025.imd');
      const [found] = await tx.select({ id: indicators.id }).from(indicators).where(and(eq(indicators.id, indicatorId), visibleTo(viewer, indicators.sharing, indicators.ownerOrganisationId)));
      if (!found) throw new PlanError('indicatorId', `There is no indicator “${indicatorId}” that you can see`);
      await checkArea();
      row = { priorityId, kind, indicatorId, areaCode, note: note || null };
    } else if (kind === 'area-profile') {
      await checkArea();
      row = { priorityId, kind, areaCode, note: note || null };
    } else if (kind === 'voice-theme' && (input.voiceCampaignId ?? '').trim()) {
      const campaignId = input.voiceCampaignId!.trim();
      const themeId = (input.voiceThemeId ?? '').trim();
      // Only a campaign of an organisation in this partnership: no one can cite another organisation's campaign here.
      const [campaign] = isUuid(campaignId)
        ? await tx
            .select({ id: voiceCampaigns.id, organisationId: voiceCampaigns.organisationId })
            .from(voiceCampaigns)
            .innerJoin(partnershipOrganisations, and(eq(partnershipOrganisations.organisationId, voiceCampaigns.organisationId), eq(partnershipOrganisations.partnershipId, partnershipId)))
            .where(eq(voiceCampaigns.id, campaignId))
        : [];
      if (!campaign) throw new PlanError('voiceCampaignId', 'Choose a listening campaign run by one of the partnership’s organisations');
      if (themeId) {
        const [theme] = isUuid(themeId) ? await tx.select({ id: voiceThemes.id }).from(voiceThemes).where(and(eq(voiceThemes.id, themeId), eq(voiceThemes.organisationId, campaign.organisationId))) : [];
        if (!theme) throw new PlanError('voiceThemeId', 'Choose a theme of the organisation that ran the campaign, or no theme');
      }
      row = { priorityId, kind, voiceCampaignId: campaign.id, voiceThemeId: themeId || null, note: note || null };
    } else if (kind === 'voice-theme' || kind === 'note') {
      if (kind === 'voice-theme' && (input.voiceThemeId ?? '').trim()) throw new PlanError('voiceCampaignId', 'Choose the campaign the theme comes from');
      if (!note) throw new PlanError('note', kind === 'note' ? 'Enter the note' : 'Enter the theme residents raised, or choose a campaign');
      row = { priorityId, kind, note };
    } else {
      throw new PlanError('kind', 'Choose what kind of evidence this is');
    }
    const [created] = await tx.insert(priorityEvidence).values(row).returning({ id: priorityEvidence.id });
    await recordAudit(tx, { actor, action: 'priority.evidence-added', objectType: 'priority', objectId: priorityId, details: { partnershipId, kind, indicatorId: row.indicatorId ?? null, areaCode: row.areaCode ?? null, voiceCampaignId: row.voiceCampaignId ?? null, voiceThemeId: row.voiceThemeId ?? null } });
    return created!.id;
  });
}

// ---- Actions -------------------------------------------------------------------------------------------------

export type ActionInput = {
  priorityId: string;
  title: string;
  description: string;
  ownerOrganisationId: string;
  leadName: string;
  leadUserId: string;
  startOn: string;
  dueOn: string;
  status: string;
  public: boolean;
  /** The meeting that agreed it, when one did. */
  meetingId?: string;
};

/** Checks everything an action's fields must satisfy against the partnership; each problem names its field. */
async function checkAction(tx: Tx, partnershipId: string, input: ActionInput): Promise<ActionStatus> {
  if (!input.title.trim()) throw new PlanError('title', 'Enter what will be done');
  if (input.title.length > 300) throw new PlanError('title', 'What will be done must be 300 characters or fewer');
  if (input.description.length > 5000) throw new PlanError('description', 'The description must be 5,000 characters or fewer');
  const [priority] = isUuid(input.priorityId) ? await tx.select({ id: priorities.id }).from(priorities).where(and(eq(priorities.id, input.priorityId), eq(priorities.partnershipId, partnershipId))) : [];
  if (!priority) throw new PlanError('priorityId', 'Choose the priority this action serves');
  const [owner] = isUuid(input.ownerOrganisationId)
    ? await tx.select({ id: partnershipOrganisations.organisationId }).from(partnershipOrganisations).where(and(eq(partnershipOrganisations.partnershipId, partnershipId), eq(partnershipOrganisations.organisationId, input.ownerOrganisationId)))
    : [];
  if (!owner) throw new PlanError('ownerOrganisationId', 'Choose the organisation that owns this action from the partnership’s organisations');
  if (!input.leadName.trim()) throw new PlanError('leadName', 'Enter the name of the person leading this action');
  if (input.leadName.length > 200) throw new PlanError('leadName', 'The lead’s name must be 200 characters or fewer');
  if (input.leadUserId) {
    const [lead] = isUuid(input.leadUserId) ? await tx.select({ id: memberships.userId }).from(memberships).where(and(eq(memberships.userId, input.leadUserId), eq(memberships.organisationId, input.ownerOrganisationId))) : [];
    if (!lead) throw new PlanError('leadUserId', 'The lead must be someone in the organisation that owns the action');
  }
  if (input.startOn && !isDate(input.startOn)) throw new PlanError('startOn', 'The start date must be a real date, like 1 4 2026');
  if (input.dueOn && !isDate(input.dueOn)) throw new PlanError('dueOn', 'The due date must be a real date, like 30 6 2026');
  if (input.startOn && input.dueOn && input.dueOn < input.startOn) throw new PlanError('dueOn', 'The due date must be the same as or after the start date');
  if (!(actionStatuses as readonly string[]).includes(input.status)) throw new PlanError('status', 'Choose the action’s status');
  return input.status as ActionStatus;
}

export async function createAction(db: Db, partnershipId: string, input: ActionInput, editor: Editor): Promise<string> {
  return db.transaction(async (tx) => {
    const status = await checkAction(tx, partnershipId, input);
    // Any member may record an action agreed for a partner, but only the owner may say it can be published.
    if (input.public && !editor.organisationIds.includes(input.ownerOrganisationId)) throw new PlanError('public', 'Only the organisation that owns an action can make it public: leave it private and ask them', 403);
    const [row] = await tx
      .insert(actions)
      .values({
        partnershipId,
        priorityId: input.priorityId,
        title: input.title.trim(),
        description: input.description.trim() || null,
        ownerOrganisationId: input.ownerOrganisationId,
        leadName: input.leadName.trim(),
        leadUserId: input.leadUserId || null,
        startOn: input.startOn || null,
        dueOn: input.dueOn || null,
        status,
        public: input.public,
        completedAt: status === 'done' ? new Date() : null,
        meetingId: input.meetingId ?? null,
        createdBy: editor.actor.userId,
      })
      .returning({ id: actions.id });
    await recordAudit(tx, { actor: editor.actor, action: 'action.created', objectType: 'action', objectId: row!.id, organisationId: input.ownerOrganisationId, details: { partnershipId, title: input.title.trim(), status, public: input.public, meetingId: input.meetingId ?? null } });
    return row!.id;
  });
}

async function ownedAction(tx: Tx, partnershipId: string, actionId: string, editor: Editor) {
  const [action] = isUuid(actionId) ? await tx.select().from(actions).where(and(eq(actions.id, actionId), eq(actions.partnershipId, partnershipId))) : [];
  if (!action) throw new PlanError('form', 'There is no such action in this partnership', 404);
  if (!editor.organisationIds.includes(action.ownerOrganisationId)) throw new PlanError('form', 'Only members of the organisation that owns this action can change it', 403);
  return action;
}

export async function editAction(db: Db, partnershipId: string, actionId: string, version: number, input: ActionInput, editor: Editor): Promise<void> {
  await db.transaction(async (tx) => {
    const before = await ownedAction(tx, partnershipId, actionId, editor);
    const status = await checkAction(tx, partnershipId, input);
    // Handing an action to another organisation is fine; making it public on their behalf is not.
    if (input.public && !before.public && !editor.organisationIds.includes(input.ownerOrganisationId)) throw new PlanError('public', 'Only the organisation that owns an action can make it public', 403);
    const changed = await tx
      .update(actions)
      .set({
        priorityId: input.priorityId,
        title: input.title.trim(),
        description: input.description.trim() || null,
        ownerOrganisationId: input.ownerOrganisationId,
        leadName: input.leadName.trim(),
        leadUserId: input.leadUserId || null,
        startOn: input.startOn || null,
        dueOn: input.dueOn || null,
        status,
        public: input.public,
        completedAt: status === 'done' ? (before.completedAt ?? new Date()) : null,
        version: sql`${actions.version} + 1`,
        updatedAt: new Date(),
      })
      .where(and(eq(actions.id, actionId), eq(actions.version, version)))
      .returning({ id: actions.id });
    if (!changed.length) throw new PlanError('form', conflictMessage, 409);
    await recordAudit(tx, { actor: editor.actor, action: 'action.edited', objectType: 'action', objectId: actionId, organisationId: input.ownerOrganisationId, details: { partnershipId, fromStatus: before.status, status, public: input.public, ownerOrganisationId: input.ownerOrganisationId } });
  });
}

/** Progress on an action: sets its status (and when it was done) and keeps the note in its history. */
export async function addUpdate(db: Db, partnershipId: string, actionId: string, input: { status: string; note: string }, editor: Editor): Promise<string> {
  if (!(actionStatuses as readonly string[]).includes(input.status)) throw new PlanError('status', 'Choose the action’s status now');
  const note = input.note.trim();
  if (!note) throw new PlanError('note', 'Say what has happened');
  if (note.length > 5000) throw new PlanError('note', 'The update must be 5,000 characters or fewer');
  const status = input.status as ActionStatus;
  return db.transaction(async (tx) => {
    const before = await ownedAction(tx, partnershipId, actionId, editor);
    const [row] = await tx.insert(actionUpdates).values({ actionId, status, note, createdBy: editor.actor.userId }).returning({ id: actionUpdates.id });
    await tx
      .update(actions)
      .set({ status, completedAt: status === 'done' ? (before.completedAt ?? new Date()) : null, version: sql`${actions.version} + 1`, updatedAt: new Date() })
      .where(eq(actions.id, actionId));
    await recordAudit(tx, { actor: editor.actor, action: 'action.updated', objectType: 'action', objectId: actionId, organisationId: before.ownerOrganisationId, details: { partnershipId, fromStatus: before.status, status } });
    return row!.id;
  });
}

// ---- Reading the plan -------------------------------------------------------------------------------------------

const actionColumns = {
  id: actions.id,
  partnershipId: actions.partnershipId,
  priorityId: actions.priorityId,
  title: actions.title,
  description: actions.description,
  ownerOrganisationId: actions.ownerOrganisationId,
  ownerName: organisations.name,
  leadName: actions.leadName,
  leadUserId: actions.leadUserId,
  startOn: actions.startOn,
  dueOn: actions.dueOn,
  status: actions.status,
  public: actions.public,
  completedAt: actions.completedAt,
  version: actions.version,
};

export type PlanAction = { id: string; partnershipId: string; priorityId: string; title: string; description: string | null; ownerOrganisationId: string; ownerName: string; leadName: string; leadUserId: string | null; startOn: string | null; dueOn: string | null; status: ActionStatus; public: boolean; completedAt: Date | null; version: number; overdue: boolean };
export type Evidence = {
  id: string;
  kind: string;
  indicatorId: string | null;
  indicatorLabel: string | null;
  areaCode: string | null;
  areaName: string | null;
  note: string | null;
  /** For a voice-theme linked to a campaign: its title, the theme's name, the responses (suppressed, in words) and where to read more. */
  voice: { title: string; theme: string | null; responses: string; href: string | null } | null;
};
export type PlanPriority = { id: string; title: string; description: string | null; aimId: string | null; evidence: Evidence[]; actions: PlanAction[]; rollup: Rollup };
export type PlanAimGroup = { aim: Aim | null; priorities: PlanPriority[]; rollup: Rollup };
export type Plan = { aims: PlanAimGroup[]; rollup: Rollup; priorities: { id: string; title: string }[] };

const selectActions = (tx: Tx) => tx.select(actionColumns).from(actions).innerJoin(organisations, eq(organisations.id, actions.ownerOrganisationId));
const withOverdue = (rows: Omit<PlanAction, 'overdue'>[], today: string): PlanAction[] => rows.map((a) => ({ ...a, overdue: isOverdue(a, today) }));

/** A partnership's plan as a tree: aim → priority (evidence, roll-up) → actions. Priorities without an aim come last. */
export async function planOf(tx: Tx, partnershipId: string, today: string, viewer: Viewer, threshold = defaultThreshold): Promise<Plan> {
  const prios = await tx.select().from(priorities).where(eq(priorities.partnershipId, partnershipId)).orderBy(asc(priorities.position), asc(priorities.createdAt));
  const acts = withOverdue(await selectActions(tx).where(eq(actions.partnershipId, partnershipId)).orderBy(asc(actions.dueOn), asc(actions.title)), today);
  const rows = prios.length
    ? await tx
        .select({
          id: priorityEvidence.id,
          priorityId: priorityEvidence.priorityId,
          kind: priorityEvidence.kind,
          indicatorId: priorityEvidence.indicatorId,
          indicatorLabel: indicators.label,
          areaCode: priorityEvidence.areaCode,
          note: priorityEvidence.note,
          areaName: sql<string | null>`(select name from areas where code = ${priorityEvidence.areaCode} order by vintage desc limit 1)`,
          voiceCampaignId: voiceCampaigns.id,
          voiceTitle: voiceCampaigns.title,
          voiceOrganisationId: voiceCampaigns.organisationId,
          voicePublished: voiceCampaigns.published,
          voiceOrganisationSlug: sql<string | null>`(select slug from organisations where id = ${voiceCampaigns.organisationId})`,
          voiceTheme: voiceThemes.name,
          // Responses tagged with the theme, or all the campaign's responses when no theme was chosen.
          voiceResponses: sql<number>`case when ${voiceThemes.id} is not null
            then (select count(distinct rt.response_id)::int from voice_response_themes rt join voice_responses r on r.id = rt.response_id where rt.theme_id = ${voiceThemes.id} and r.campaign_id = ${voiceCampaigns.id})
            else (select count(*)::int from voice_responses r where r.campaign_id = ${voiceCampaigns.id}) end`,
        })
        .from(priorityEvidence)
        // An indicator the viewer may no longer see (its owner narrowed its sharing) is shown by id only.
        .leftJoin(indicators, and(eq(indicators.id, priorityEvidence.indicatorId), visibleTo(viewer, indicators.sharing, indicators.ownerOrganisationId)))
        .leftJoin(voiceCampaigns, eq(voiceCampaigns.id, priorityEvidence.voiceCampaignId))
        .leftJoin(voiceThemes, eq(voiceThemes.id, priorityEvidence.voiceThemeId))
        .where(inArray(priorityEvidence.priorityId, prios.map((p) => p.id)))
        .orderBy(asc(priorityEvidence.kind), asc(priorityEvidence.id))
    : [];
  // The campaign's own results for its organisation's members; its public summary for anyone else once published.
  const evidence = rows.map(({ voiceCampaignId, voiceTitle, voiceOrganisationId, voicePublished, voiceOrganisationSlug, voiceTheme, voiceResponses, ...e }) => {
    if (!voiceCampaignId) return { ...e, voice: null };
    const member = Boolean(viewer.user?.isSiteAdmin) || viewer.organisationIds.includes(voiceOrganisationId!);
    const shown = suppress(Number(voiceResponses), threshold);
    return {
      ...e,
      voice: {
        title: voiceTitle!,
        theme: voiceTheme,
        responses: shown.suppressed ? `${fewerThan(threshold)} responses` : `${shown.value} response${shown.value === 1 ? '' : 's'}`,
        href: member ? `/organisations/${voiceOrganisationSlug}/voice/${voiceCampaignId}/results` : voicePublished ? `/voice/${voiceCampaignId}` : null,
      },
    };
  });
  const aimList = await listAims(tx);
  const tree: PlanPriority[] = prios.map((p) => {
    const mine = acts.filter((a) => a.priorityId === p.id);
    return { id: p.id, title: p.title, description: p.description, aimId: p.aimId, evidence: evidence.filter((e) => e.priorityId === p.id), actions: mine, rollup: rollup(mine, today) };
  });
  const aimIds = [...new Set(tree.map((p) => p.aimId))];
  const groups = aimIds
    .map((aimId) => {
      const ps = tree.filter((p) => p.aimId === aimId);
      return { aim: aimList.find((a) => a.id === aimId) ?? null, priorities: ps, rollup: rollup(ps.flatMap((p) => p.actions), today) };
    })
    .sort((a, b) => (a.aim ? 0 : 1) - (b.aim ? 0 : 1) || (a.aim?.title ?? '').localeCompare(b.aim?.title ?? ''));
  return { aims: groups, rollup: rollup(acts, today), priorities: prios.map((p) => ({ id: p.id, title: p.title })) };
}

export type ActionDetail = PlanAction & {
  updates: { id: string; status: ActionStatus; note: string; createdAt: Date; byName: string | null }[];
  priority: { id: string; title: string };
  aim: Aim | null;
  partnership: { id: string; name: string };
};

/** The golden thread up from an action: its priority, the aim that serves, and its partnership. */
export async function fromAction(tx: Tx, actionId: string, today: string): Promise<ActionDetail | null> {
  if (!isUuid(actionId)) return null;
  const [action] = await selectActions(tx).where(eq(actions.id, actionId));
  if (!action) return null;
  const [priority] = await tx.select({ id: priorities.id, title: priorities.title, aimId: priorities.aimId }).from(priorities).where(eq(priorities.id, action.priorityId));
  const [partnership] = await tx.select({ id: partnerships.id, name: partnerships.name }).from(partnerships).where(eq(partnerships.id, action.partnershipId));
  const updates = await tx
    .select({ id: actionUpdates.id, status: actionUpdates.status, note: actionUpdates.note, createdAt: actionUpdates.createdAt, byName: users.name })
    .from(actionUpdates)
    .leftJoin(users, eq(users.id, actionUpdates.createdBy))
    .where(eq(actionUpdates.actionId, actionId))
    .orderBy(desc(actionUpdates.createdAt), desc(actionUpdates.id));
  return { ...action, overdue: isOverdue(action, today), updates, priority: { id: priority!.id, title: priority!.title }, aim: priority!.aimId ? await getAim(tx, priority!.aimId) : null, partnership: partnership! };
}

export type AimThread = {
  aim: Aim;
  partnerships: { id: string; name: string; member: boolean; priorities: { id: string; title: string; actions: PlanAction[]; rollup: Rollup }[]; rollup: Rollup }[];
  rollup: Rollup;
};

/**
 * The golden thread down from an aim: every partnership serving it that the viewer may see, with its
 * priorities for the aim and their actions. Members of a partnership (and site admins) see all of it;
 * anyone else sees only published partnerships, and only the actions their owners made public.
 */
export async function fromAim(tx: Tx, aimId: string, viewer: Viewer, today: string): Promise<AimThread | null> {
  const aim = await getAim(tx, aimId);
  if (!aim) return null;
  const admin = Boolean(viewer.user?.isSiteAdmin);
  const memberOf = viewer.organisationIds.length
    ? sql`exists (select 1 from partnership_organisations po where po.partnership_id = ${partnerships.id} and po.organisation_id in (${sql.join(viewer.organisationIds.map((id) => sql`${id}::uuid`), sql`, `)}))`
    : sql`false`;
  const rows = await tx
    .select({ id: partnerships.id, name: partnerships.name, member: admin ? sql<boolean>`true` : memberOf.mapWith(Boolean) })
    .from(partnerships)
    .where(and(sql`exists (select 1 from priorities p where p.partnership_id = ${partnerships.id} and p.aim_id = ${aimId}::uuid)`, admin ? sql`true` : or(eq(partnerships.published, true), memberOf)))
    .orderBy(asc(partnerships.name));
  const ids = rows.map((r) => r.id);
  const prios = ids.length ? await tx.select({ id: priorities.id, title: priorities.title, partnershipId: priorities.partnershipId }).from(priorities).where(and(eq(priorities.aimId, aimId), inArray(priorities.partnershipId, ids))).orderBy(asc(priorities.position)) : [];
  const acts = prios.length ? withOverdue(await selectActions(tx).where(inArray(actions.priorityId, prios.map((p) => p.id))).orderBy(asc(actions.dueOn), asc(actions.title)), today) : [];
  const result = rows.map((p) => {
    const ps = prios
      .filter((x) => x.partnershipId === p.id)
      .map((x) => {
        const mine = acts.filter((a) => a.priorityId === x.id && (p.member || a.public));
        return { id: x.id, title: x.title, actions: mine, rollup: rollup(mine, today) };
      });
    return { id: p.id, name: p.name, member: Boolean(p.member), priorities: ps, rollup: rollup(ps.flatMap((x) => x.actions), today) };
  });
  return { aim, partnerships: result, rollup: rollup(result.flatMap((p) => p.priorities.flatMap((x) => x.actions)), today) };
}

// ---- My actions ----------------------------------------------------------------------------------------------

export type MyAction = PlanAction & { partnershipName: string; priorityTitle: string };
export type MyActions = { overdue: MyAction[]; dueSoon: MyAction[]; later: MyAction[]; doneRecently: MyAction[] };

/** How far ahead "due soon" looks, and how far back "done recently" does. */
export const dueSoonDays = 14;
export const doneRecentlyDays = 30;

/** Sorts a person's actions by when they are due. Pure, so the boundaries can be tested exactly. */
export function groupMyActions(list: MyAction[], today: string, now: Date): MyActions {
  const soon = addDays(today, dueSoonDays);
  const since = now.getTime() - doneRecentlyDays * 86_400_000;
  const groups: MyActions = { overdue: [], dueSoon: [], later: [], doneRecently: [] };
  for (const a of list) {
    if (a.status === 'done') {
      if (a.completedAt && a.completedAt.getTime() >= since) groups.doneRecently.push(a);
    } else if (isOverdue(a, today)) groups.overdue.push(a);
    else if (a.dueOn !== null && a.dueOn <= soon) groups.dueSoon.push(a);
    else groups.later.push(a);
  }
  return groups;
}

/** Actions the person leads, or that an organisation they belong to owns, across every partnership. */
export async function myActions(tx: Tx, userId: string, organisationIds: string[], today: string, now = new Date()): Promise<MyActions> {
  const mine = organisationIds.length ? or(eq(actions.leadUserId, userId), inArray(actions.ownerOrganisationId, organisationIds)) : eq(actions.leadUserId, userId);
  const rows = await tx
    .select({ ...actionColumns, partnershipName: partnerships.name, priorityTitle: priorities.title })
    .from(actions)
    .innerJoin(organisations, eq(organisations.id, actions.ownerOrganisationId))
    .innerJoin(partnerships, eq(partnerships.id, actions.partnershipId))
    .innerJoin(priorities, eq(priorities.id, actions.priorityId))
    .where(mine)
    .orderBy(sql`${actions.dueOn} asc nulls last`, asc(actions.title));
  return groupMyActions(withOverdue(rows, today) as MyAction[], today, now);
}

/** The digest email's text: plain, so it reads the same in any mail program. */
export function digestText(name: string, groups: MyActions, baseUrl: string): string {
  const line = (a: MyAction) => `- ${a.title} (${a.partnershipName}; ${statusWords[a.status].toLowerCase()}${a.dueOn ? `; due ${a.dueOn}` : ''})\n  ${baseUrl}/partnerships/${a.partnershipId}/actions/${a.id}`;
  const section = (title: string, list: MyAction[]) => (list.length ? `${title}\n${list.map(line).join('\n')}\n` : '');
  const body = [section('Overdue', groups.overdue), section(`Due in the next ${dueSoonDays} days`, groups.dueSoon), section('Later', groups.later), section('Done recently', groups.doneRecently)].filter(Boolean).join('\n');
  return `Hello ${name},\n\n${body || 'You have no actions in any partnership at the moment.\n'}\nSee them all: ${baseUrl}/my-actions\n`;
}

/**
 * Sends one person their digest now and records that it was sent (never its contents). The web page uses it
 * for "email me my actions"; a scheduled command can call it for each person who asks for a weekly digest.
 */
export async function sendDigest(db: Db, mailer: Mailer, person: { id: string; email: string; name: string }, organisationIds: string[], baseUrl: string, actor: Actor, today = todayInEngland()): Promise<Record<keyof MyActions, number>> {
  const groups = await myActions(db, person.id, organisationIds, today);
  const counts = { overdue: groups.overdue.length, dueSoon: groups.dueSoon.length, later: groups.later.length, doneRecently: groups.doneRecently.length };
  await mailer.send({ to: person.email, subject: 'Your Patchwork actions', text: digestText(person.name, groups, baseUrl) });
  await recordAudit(db, { actor, action: 'actions.digest-sent', objectType: 'user', objectId: person.id, details: counts });
  return counts;
}
