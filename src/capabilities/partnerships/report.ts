import { and, asc, eq, inArray } from 'drizzle-orm';
import { organisations, users } from '../../platform/auth/schema.ts';
import type { Db } from '../../platform/db/database.ts';
import { areas } from '../geography/schema.ts';
import { indicators, indicatorValues } from '../indicators/schema.ts';
import { levelOf, listEditions, summaries, type Edition } from '../indicators/service.ts';
import { profile } from '../need/service.ts';
import { neighbourhoods } from '../neighbourhoods/schema.ts';
import {
  actions,
  actionStatuses,
  actionUpdates,
  meetingDecisions,
  meetings,
  partnershipAreas,
  partnershipOrganisations,
  partnerships,
  priorities,
  priorityEvidence,
  strategicAims,
  type ActionStatus,
} from './schema.ts';

/**
 * The board report: what a partnership's plan looks like now and what changed over a period, worked out from
 * the actions, their updates and the meetings, never typed. Dates are whole days in England: a period "to" a
 * date includes everything that happened on it.
 */

export const statusText: Record<ActionStatus, string> = { 'not-started': 'Not started', 'on-track': 'On track', 'at-risk': 'At risk', 'off-track': 'Off track', done: 'Done' };

export type Period = { from: string; to: string };

/** The date in England of a moment, which is the day the people reading the report would say it happened. */
export const day = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
const inPeriod = (at: Date, period: Period) => day(at) >= period.from && day(at) <= period.to;

export type ActionRow = {
  id: string;
  title: string;
  priorityTitle: string;
  aimTitle: string | null;
  ownerOrganisationId: string;
  ownerName: string;
  leadName: string;
  startOn: string | null;
  dueOn: string | null;
  status: ActionStatus;
  overdue: boolean;
  completedAt: Date | null;
  createdAt: Date;
  meeting: { id: string; title: string; heldOn: string } | null;
  lastUpdate: { at: Date; note: string } | null;
};

export type StatusChange = { actionId: string; actionTitle: string; fromStatus: ActionStatus; toStatus: ActionStatus; note: string; by: string | null; at: Date };

/** Every action of the partnership with its place in the plan, and every update with the status it moved from. */
async function loadWork(db: Db, partnershipId: string, asOf: string) {
  const rows = await db
    .select({
      id: actions.id,
      title: actions.title,
      priorityTitle: priorities.title,
      priorityPosition: priorities.position,
      aimTitle: strategicAims.title,
      ownerOrganisationId: actions.ownerOrganisationId,
      ownerName: organisations.name,
      leadName: actions.leadName,
      startOn: actions.startOn,
      dueOn: actions.dueOn,
      status: actions.status,
      completedAt: actions.completedAt,
      createdAt: actions.createdAt,
      meetingId: meetings.id,
      meetingTitle: meetings.title,
      meetingHeldOn: meetings.heldOn,
    })
    .from(actions)
    .innerJoin(priorities, eq(priorities.id, actions.priorityId))
    .leftJoin(strategicAims, eq(strategicAims.id, priorities.aimId))
    .innerJoin(organisations, eq(organisations.id, actions.ownerOrganisationId))
    .leftJoin(meetings, eq(meetings.id, actions.meetingId))
    .where(eq(actions.partnershipId, partnershipId))
    .orderBy(asc(priorities.position), asc(priorities.title), asc(actions.dueOn), asc(actions.title));
  const updates = rows.length
    ? await db
        .select({ actionId: actionUpdates.actionId, status: actionUpdates.status, note: actionUpdates.note, by: users.name, at: actionUpdates.createdAt })
        .from(actionUpdates)
        .leftJoin(users, eq(users.id, actionUpdates.createdBy))
        .where(inArray(actionUpdates.actionId, rows.map((r) => r.id)))
        .orderBy(asc(actionUpdates.createdAt), asc(actionUpdates.id))
    : [];
  const titles = new Map(rows.map((r) => [r.id, r.title]));
  // An action starts not started; each update moves it from where the one before left it.
  const previous = new Map<string, ActionStatus>();
  const changes: StatusChange[] = updates.map((u) => {
    const fromStatus = previous.get(u.actionId) ?? 'not-started';
    previous.set(u.actionId, u.status);
    return { actionId: u.actionId, actionTitle: titles.get(u.actionId) ?? '', fromStatus, toStatus: u.status, note: u.note, by: u.by, at: u.at };
  });
  const last = new Map<string, StatusChange>();
  for (const c of changes) last.set(c.actionId, c);
  const list: ActionRow[] = rows.map((r) => ({
    id: r.id,
    title: r.title,
    priorityTitle: r.priorityTitle,
    aimTitle: r.aimTitle,
    ownerOrganisationId: r.ownerOrganisationId,
    ownerName: r.ownerName,
    leadName: r.leadName,
    startOn: r.startOn,
    dueOn: r.dueOn,
    status: r.status,
    overdue: r.status !== 'done' && r.dueOn !== null && r.dueOn < asOf,
    completedAt: r.completedAt ?? (r.status === 'done' ? ([...changes].reverse().find((c) => c.actionId === r.id && c.toStatus === 'done')?.at ?? null) : null),
    createdAt: r.createdAt,
    meeting: r.meetingId ? { id: r.meetingId, title: r.meetingTitle!, heldOn: r.meetingHeldOn! } : null,
    lastUpdate: last.has(r.id) ? { at: last.get(r.id)!.at, note: last.get(r.id)!.note } : null,
  }));
  return { actions: list, changes };
}

/** The actions as of a date (overdue means not done and due before it), for the CSV. */
export async function actionRows(db: Db, partnershipId: string, asOf: string): Promise<ActionRow[]> {
  return (await loadWork(db, partnershipId, asOf)).actions;
}

export type IndicatorFigure = { label: string; edition: string | null; value: string; then: string | null; change: string | null; note: string | null };
export type KeyIndicator = { area: string; code: string; figures: IndicatorFigure[]; notLoaded: string | null };

const fmt = (v: number | null | undefined, decimals = 1) => (v === null || v === undefined ? '–' : v.toLocaleString('en-GB', { minimumFractionDigits: decimals, maximumFractionDigits: decimals }));
const signed = (v: number, decimals = 1) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${fmt(Math.abs(v), decimals)}`;

/** A ward's IMD in the latest edition loaded and the one before, through the need profile. */
async function wardImd(db: Db, code: string, latest: Edition, previous: Edition | null): Promise<IndicatorFigure[]> {
  const imdIn = async (e: Edition) => {
    const p = await profile(db, e, code, 'imd');
    const imd = p?.domains.find((d) => d.key === 'imd');
    return p && imd ? { score: imd.score, decile: imd.decile, rank: imd.rank, peers: p.peers } : null;
  };
  const now = await imdIn(latest);
  const then = previous ? await imdIn(previous) : null;
  const thenNote = !previous ? 'no earlier edition loaded' : !then ? `not in ${previous.label}’s geography (boundaries changed)` : null;
  if (!now) return [{ label: 'Index of Multiple Deprivation', edition: latest.label, value: 'not loaded for this ward', then: null, change: null, note: `not in ${latest.label}’s geography` }];
  return [
    {
      label: 'IMD average score (higher = more deprived)',
      edition: latest.label,
      value: fmt(now.score, 2),
      then: then ? `${fmt(then.score, 2)} (${previous!.label})` : null,
      change: then && now.score !== null && then.score !== null ? signed(now.score - then.score, 2) : null,
      note: thenNote,
    },
    {
      label: 'IMD decile among wards (1 = most deprived)',
      edition: latest.label,
      value: now.decile === null ? '–' : String(now.decile),
      then: then ? `${then.decile ?? '–'} (${previous!.label})` : null,
      change: then && now.decile !== null && then.decile !== null ? (now.decile === then.decile ? 'same decile' : `${signed(now.decile - then.decile, 0)} decile${Math.abs(now.decile - then.decile) === 1 ? '' : 's'}`) : null,
      note: thenNote,
    },
  ];
}

/** An indicator linked as a priority's evidence: its value for the area, and its change when it is an IoD measure. */
async function evidenceFigure(db: Db, indicatorId: string, code: string, editions: Edition[]): Promise<IndicatorFigure> {
  const [indicator] = await db.select().from(indicators).where(eq(indicators.id, indicatorId));
  if (!indicator) return { label: indicatorId, edition: null, value: 'not loaded', then: null, change: null, note: 'this indicator is not loaded in this Patchwork' };
  const valueIn = async (id: string, edition: Edition | undefined): Promise<number | null> => {
    const [v] = await db.select({ value: indicatorValues.value }).from(indicatorValues).where(and(eq(indicatorValues.indicatorId, id), eq(indicatorValues.code, code)));
    if (v) return v.value;
    // IoD figures for wards and districts are summaries of their LSOAs (average score).
    const level = levelOf(code);
    if (edition && (level === 'ward' || level === 'lad')) return (await summaries(db, edition, level, id.slice(edition.id.length + 1), [code]))[0]?.averageScore ?? null;
    return null;
  };
  const edition = editions.find((e) => e.id === indicator.editionId);
  const value = await valueIn(indicator.id, edition);
  const label = `${indicator.label}${indicator.unit ? ` (${indicator.unit})` : ''}`;
  if (value === null) return { label, edition: edition?.label ?? indicator.period, value: 'not loaded for this area', then: null, change: null, note: null };
  let then: string | null = null;
  let change: string | null = null;
  let note: string | null = null;
  if (edition && indicator.domain) {
    const earlier = editions.filter((e) => e.publishedOn < edition.publishedOn).at(-1);
    const before = earlier ? await valueIn(`${earlier.id}.${indicator.domain}`, earlier) : null;
    if (!earlier) note = 'no earlier edition loaded';
    else if (before === null) note = `no figure for this area in ${earlier.label}`;
    else {
      then = `${fmt(before, 2)} (${earlier.label})`;
      change = signed(value - before, 2);
    }
  }
  return { label, edition: edition?.label ?? indicator.period, value: fmt(value, 2), then, change, note };
}

export type BoardReport = {
  partnership: { id: string; name: string; stage: string; places: string[]; organisations: string[] };
  period: Period;
  actionsByStatus: { status: ActionStatus; label: string; now: number; movedInto: number }[];
  totals: { actions: number; changedStatus: number };
  whatChanged: StatusChange[];
  overdue: { organisation: string; actions: ActionRow[] }[];
  completed: ActionRow[];
  newActions: ActionRow[];
  meetings: { id: string; title: string; heldOn: string; decisions: { text: string; priorityTitle: string | null }[] }[];
  keyIndicators: KeyIndicator[];
  highlights: string[];
};

/** Who a partnership is, for the top of its reports: its name and stage, its organisations and its places, named. */
export async function partnershipFacts(db: Db, partnershipId: string): Promise<(BoardReport['partnership'] & { wards: { code: string; name: string }[] }) | null> {
  const [p] = await db.select().from(partnerships).where(eq(partnerships.id, partnershipId));
  if (!p) return null;
  const orgs = await db
    .select({ name: organisations.name })
    .from(partnershipOrganisations)
    .innerJoin(organisations, eq(organisations.id, partnershipOrganisations.organisationId))
    .where(eq(partnershipOrganisations.partnershipId, partnershipId))
    .orderBy(asc(organisations.name));
  const placeRows = await db
    .select({ vintage: partnershipAreas.areaVintage, code: partnershipAreas.areaCode, areaName: areas.name, neighbourhood: neighbourhoods.name })
    .from(partnershipAreas)
    .leftJoin(areas, and(eq(areas.vintage, partnershipAreas.areaVintage), eq(areas.code, partnershipAreas.areaCode)))
    .leftJoin(neighbourhoods, eq(neighbourhoods.id, partnershipAreas.neighbourhoodId))
    .where(eq(partnershipAreas.partnershipId, partnershipId));
  const places = placeRows.map((r) => (r.code ? `${r.areaName ?? 'ward'} (${r.code})` : (r.neighbourhood ?? 'a neighbourhood')));
  const wards = placeRows.flatMap((r) => (r.code ? [{ code: r.code, name: r.areaName ?? r.code }] : []));
  return { id: p.id, name: p.name, stage: p.stage, places, organisations: orgs.map((o) => o.name), wards };
}

export async function boardReport(db: Db, partnershipId: string, period: Period): Promise<BoardReport | null> {
  const facts = await partnershipFacts(db, partnershipId);
  if (!facts) return null;
  const { wards, ...partnership } = facts;

  const { actions: all, changes } = await loadWork(db, partnershipId, period.to);
  const changed = changes.filter((c) => inPeriod(c.at, period));
  const moves = changed.filter((c) => c.fromStatus !== c.toStatus);
  const actionsByStatus = actionStatuses.map((status) => ({ status, label: statusText[status], now: all.filter((a) => a.status === status).length, movedInto: moves.filter((m) => m.toStatus === status).length }));

  const overdueByOrg = new Map<string, ActionRow[]>();
  for (const a of all.filter((x) => x.overdue)) overdueByOrg.set(a.ownerName, [...(overdueByOrg.get(a.ownerName) ?? []), a]);
  const overdue = [...overdueByOrg].sort(([x], [y]) => x.localeCompare(y)).map(([organisation, list]) => ({ organisation, actions: list.sort((x, y) => (x.dueOn ?? '').localeCompare(y.dueOn ?? '')) }));

  const completed = all.filter((a) => a.status === 'done' && a.completedAt && inPeriod(a.completedAt, period));
  const newActions = all.filter((a) => inPeriod(a.createdAt, period));

  const held = await db
    .select({ id: meetings.id, title: meetings.title, heldOn: meetings.heldOn })
    .from(meetings)
    .where(eq(meetings.partnershipId, partnershipId))
    .orderBy(asc(meetings.heldOn));
  const heldIn = held.filter((m) => m.heldOn >= period.from && m.heldOn <= period.to);
  const decisions = heldIn.length
    ? await db
        .select({ meetingId: meetingDecisions.meetingId, text: meetingDecisions.text, priorityTitle: priorities.title })
        .from(meetingDecisions)
        .leftJoin(priorities, eq(priorities.id, meetingDecisions.priorityId))
        .where(inArray(meetingDecisions.meetingId, heldIn.map((m) => m.id)))
        .orderBy(asc(meetingDecisions.position))
    : [];
  const meetingList = heldIn.map((m) => ({ ...m, decisions: decisions.filter((d) => d.meetingId === m.id).map(({ text, priorityTitle }) => ({ text, priorityTitle })) }));

  const editions = await listEditions(db);
  const latest = editions.at(-1) ?? null;
  const previous = editions.length > 1 ? editions.at(-2)! : null;
  const keyIndicators: KeyIndicator[] = [];
  for (const { code, name: area } of wards) {
    if (!latest) keyIndicators.push({ area, code, figures: [], notLoaded: 'The Indices of Deprivation are not loaded in this Patchwork, so there are no deprivation figures for this ward.' });
    else keyIndicators.push({ area, code, figures: await wardImd(db, code, latest, previous), notLoaded: null });
  }
  const evidence = await db
    .select({ indicatorId: priorityEvidence.indicatorId, areaCode: priorityEvidence.areaCode, priorityTitle: priorities.title })
    .from(priorityEvidence)
    .innerJoin(priorities, eq(priorities.id, priorityEvidence.priorityId))
    .where(and(eq(priorities.partnershipId, partnershipId), eq(priorityEvidence.kind, 'indicator')));
  for (const e of evidence) {
    if (!e.indicatorId || !e.areaCode) continue;
    const figure = await evidenceFigure(db, e.indicatorId, e.areaCode, editions);
    const [named] = await db.select({ name: areas.name }).from(areas).where(eq(areas.code, e.areaCode)).limit(1);
    keyIndicators.push({ area: `${named?.name ?? e.areaCode}: evidence for “${e.priorityTitle}”`, code: e.areaCode, figures: [figure], notLoaded: null });
  }

  const highlights = [
    ...completed.map((a) => `Done: ${a.title} (${a.ownerName})`),
    ...meetingList.flatMap((m) => m.decisions.map((d) => `Decided at ${m.title}, ${m.heldOn}: ${d.text}`)),
  ];

  return {
    partnership,
    period,
    actionsByStatus,
    totals: { actions: all.length, changedStatus: new Set(moves.map((m) => m.actionId)).size },
    whatChanged: changed,
    overdue,
    completed,
    newActions,
    meetings: meetingList,
    keyIndicators,
    highlights,
  };
}

export const yesNo = (v: boolean) => (v ? 'yes' : 'no');
