import { describe, expect, it } from 'vitest';
import { addDays, digestText, groupMyActions, isDate, isOverdue, ragOf, rollup, rollupWords, todayInEngland, type MyAction } from './plan.ts';
import type { ActionStatus } from './schema.ts';

const today = '2026-03-10';
const a = (status: ActionStatus, dueOn: string | null = null) => ({ status, dueOn });

describe('overdue', () => {
  it('is due before today and not done', () => {
    expect(isOverdue(a('on-track', '2026-03-09'), today)).toBe(true);
    expect(isOverdue(a('not-started', '2026-01-01'), today)).toBe(true);
  });
  it('is not due today, due later, done, or without a due date', () => {
    expect(isOverdue(a('on-track', '2026-03-10'), today)).toBe(false);
    expect(isOverdue(a('on-track', '2026-04-01'), today)).toBe(false);
    expect(isOverdue(a('done', '2026-03-01'), today)).toBe(false);
    expect(isOverdue(a('off-track', null), today)).toBe(false);
  });
});

describe('the overall status of a priority (RAG)', () => {
  it('is not started with no actions', () => expect(ragOf([], today)).toBe('not-started'));
  it('is not started when none has started', () => expect(ragOf([a('not-started'), a('not-started', '2026-12-01')], today)).toBe('not-started'));
  it('is done when all are done, even if their due dates have passed', () => expect(ragOf([a('done', '2026-01-01'), a('done')], today)).toBe('done'));
  it('is off track when any is off track', () => expect(ragOf([a('on-track'), a('done'), a('off-track')], today)).toBe('off-track'));
  it('is off track when any is overdue, whatever its owner says', () => expect(ragOf([a('on-track', '2026-03-09'), a('done')], today)).toBe('off-track'));
  it('is off track rather than at risk when both apply', () => expect(ragOf([a('at-risk'), a('off-track')], today)).toBe('off-track'));
  it('is at risk when any is at risk and none off track or overdue', () => expect(ragOf([a('on-track'), a('at-risk', '2026-03-10'), a('done')], today)).toBe('at-risk'));
  it('is on track when all are on track or done', () => expect(ragOf([a('on-track'), a('done')], today)).toBe('on-track'));
  it('is on track when some have started well and the rest have not started', () => expect(ragOf([a('on-track'), a('not-started')], today)).toBe('on-track'));
  it('is on track when some are done and the rest not started', () => expect(ragOf([a('done'), a('not-started', '2026-05-01')], today)).toBe('on-track'));
  it('counts a not-started action past its due date as off track', () => expect(ragOf([a('not-started', '2026-03-01'), a('on-track')], today)).toBe('off-track'));
});

describe('roll-up counts', () => {
  it('counts by status, overdue and percent done', () => {
    const r = rollup([a('done'), a('done'), a('on-track', '2026-03-01'), a('at-risk')], today);
    expect(r.total).toBe(4);
    expect(r.byStatus).toEqual({ 'not-started': 0, 'on-track': 1, 'at-risk': 1, 'off-track': 0, done: 2 });
    expect(r.overdue).toBe(1);
    expect(r.percentDone).toBe(50);
    expect(r.rag).toBe('off-track');
    expect(rollupWords(r)).toBe('4 actions: 1 on track, 1 at risk, 2 done; 1 overdue; 50% done');
  });
  it('rounds the percentage and has none for an empty set', () => {
    expect(rollup([a('done'), a('on-track'), a('on-track')], today).percentDone).toBe(33);
    const empty = rollup([], today);
    expect(empty.percentDone).toBeNull();
    expect(empty.total).toBe(0);
    expect(rollupWords(empty)).toBe('No actions yet');
  });
});

describe('dates', () => {
  it('accepts only real calendar dates', () => {
    expect(isDate('2026-02-28')).toBe(true);
    expect(isDate('2024-02-29')).toBe(true);
    expect(isDate('2026-02-29')).toBe(false);
    expect(isDate('2026-13-01')).toBe(false);
    expect(isDate('invalid')).toBe(false);
  });
  it('adds days across a month end', () => expect(addDays('2026-01-25', 14)).toBe('2026-02-08'));
  it('uses the date in England, not UTC', () => {
    // 23:30 UTC on 30 June is already 1 July in British Summer Time.
    expect(todayInEngland(new Date('2026-06-30T23:30:00Z'))).toBe('2026-07-01');
    expect(todayInEngland(new Date('2026-12-31T23:30:00Z'))).toBe('2026-12-31');
  });
});

describe('my actions, grouped by when they are due', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  let n = 0;
  const mine = (status: ActionStatus, dueOn: string | null, completedAt: Date | null = null): MyAction => ({
    id: `id-${++n}`,
    partnershipId: 'p1',
    priorityId: 'x',
    title: `Action ${n}`,
    description: null,
    ownerOrganisationId: 'o',
    ownerName: 'Org',
    leadName: 'Lead',
    leadUserId: null,
    startOn: null,
    dueOn,
    status,
    public: false,
    completedAt,
    version: 1,
    overdue: isOverdue({ status, dueOn }, today),
    partnershipName: 'Sample partnership',
    priorityTitle: 'Sample priority',
  });
  it('puts each action in exactly one group, at the boundaries too', () => {
    const overdue = mine('on-track', '2026-03-09');
    const dueToday = mine('at-risk', '2026-03-10');
    const dueIn14 = mine('not-started', '2026-03-24');
    const dueIn15 = mine('not-started', '2026-03-25');
    const noDate = mine('on-track', null);
    const doneLastWeek = mine('done', '2026-03-01', new Date('2026-03-03T09:00:00Z'));
    const doneLongAgo = mine('done', '2026-01-01', new Date('2026-01-02T09:00:00Z'));
    const groups = groupMyActions([overdue, dueToday, dueIn14, dueIn15, noDate, doneLastWeek, doneLongAgo], today, now);
    expect(groups.overdue.map((x) => x.id)).toEqual([overdue.id]);
    expect(groups.dueSoon.map((x) => x.id)).toEqual([dueToday.id, dueIn14.id]);
    expect(groups.later.map((x) => x.id)).toEqual([dueIn15.id, noDate.id]);
    expect(groups.doneRecently.map((x) => x.id)).toEqual([doneLastWeek.id]);
    const text = digestText('Sam', groups, 'https://patchwork.example');
    expect(text).toContain('Overdue\n- Action');
    expect(text).toContain(`https://patchwork.example/partnerships/p1/actions/${overdue.id}`);
    expect(text).not.toContain(doneLongAgo.title + ' ');
  });
  it('says so when there is nothing', () => {
    expect(digestText('Sam', groupMyActions([], today, now), 'https://x')).toContain('You have no actions');
  });
});
