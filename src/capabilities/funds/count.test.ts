import { describe, expect, it } from 'vitest';
import { count, recount, validateBallot, type CountProposal, type CountRound } from './count.ts';

const p = (number: number, amountPence: number): CountProposal => ({ number, title: `Project ${number}`, amountPence });
/** The parts of each proposal's result worth checking by hand, in ranked order. */
const table = (r: ReturnType<typeof count>) => r.proposals.map((x) => [x.number, x.votes, x.rank, x.funded, x.reason]);

describe('count: hand-worked examples', () => {
  it('approval within the budget: a popular expensive project is skipped and cheaper ones below it funded', () => {
    // Budget £100. #2 £50, #1 £70, #3 £40, #4 £10. Every ballot fits £100.
    const round: CountRound = { budgetPence: 10_000, method: 'approval-budget', projectLimit: null };
    const proposals = [p(1, 7_000), p(2, 5_000), p(3, 4_000), p(4, 1_000)];
    // Votes: #2 4, #1 3, #3 2, #4 1.
    const ballots = [[2, 3], [2, 3], [2, 4], [2], [1], [1], [1]];
    const result = count(round, proposals, ballots);
    // #2 funded (£50 left); #1 costs £70 > £50, skipped; #3 £40 funded (£10 left); #4 £10 funded (£0 left).
    expect(table(result)).toEqual([
      [2, 4, 1, true, null],
      [1, 3, 2, false, 'Did not fit the £50 left'],
      [3, 2, 3, true, null],
      [4, 1, 4, true, null],
    ]);
    expect(result.totalFundedPence).toBe(10_000);
    expect(result.leftPence).toBe(0);
    expect(result.ballotCount).toBe(7);
  });

  it('approval with a project limit: ties go to the cheaper project', () => {
    // Budget £50, at most 2 each. Votes #1 3, #2 2, #3 2: #2 (£20) is cheaper than #3 (£25), so comes first.
    const round: CountRound = { budgetPence: 5_000, method: 'approval-limit', projectLimit: 2 };
    const proposals = [p(1, 3_000), p(2, 2_000), p(3, 2_500)];
    const result = count(round, proposals, [[1, 2], [1, 3], [2, 3], [1]]);
    expect(table(result)).toEqual([
      [1, 3, 1, true, null],
      [2, 2, 2, true, null],
      [3, 2, 3, false, 'Did not fit the £0 left'],
    ]);
    expect(result.totalFundedPence + result.leftPence).toBe(5_000);
  });

  it('ranked: Borda points k, k − 1, …; equal points go to the cheaper project', () => {
    // k = 3. [1,2,3]: 1+3 2+2 3+1. [2,1]: 2+3 1+2. [4,3,1]: 4+3 3+2 1+1. [4]: 4+3.
    // Points: #1 6, #2 5, #3 3, #4 6. #1 (£40) is cheaper than #4 (£60), so #1 ranks first.
    const round: CountRound = { budgetPence: 10_000, method: 'ranked', projectLimit: 3 };
    const proposals = [p(1, 4_000), p(2, 4_000), p(3, 3_000), p(4, 6_000)];
    const result = count(round, proposals, [[1, 2, 3], [2, 1], [4, 3, 1], [4]]);
    expect(table(result)).toEqual([
      [1, 6, 1, true, null],
      [4, 6, 2, true, null],
      [2, 5, 3, false, 'Did not fit the £0 left'],
      [3, 3, 4, false, 'Did not fit the £0 left'],
    ]);
  });

  it('ties of points and cost go to the project named on more ballots', () => {
    // k = 2. [1]: #1 2 points on 1 ballot. [3,2] twice: #3 4, #2 1+1 = 2 points on 2 ballots. #1 and #2 both £10.
    const round: CountRound = { budgetPence: 6_000, method: 'ranked', projectLimit: 2 };
    const result = count(round, [p(1, 1_000), p(2, 1_000), p(3, 5_000)], [[1], [3, 2], [3, 2]]);
    expect(table(result)).toEqual([
      [3, 4, 1, true, null],
      [2, 2, 2, true, null],
      [1, 2, 3, false, 'Did not fit the £0 left'],
    ]);
    expect(result.proposals.map((x) => x.ballots)).toEqual([2, 2, 1]);
  });

  it('ties of votes, cost and ballots go to the lower number (submitted earlier)', () => {
    const round: CountRound = { budgetPence: 1_000, method: 'approval-limit', projectLimit: 1 };
    const result = count(round, [p(1, 1_000), p(2, 1_000)], [[2], [1]]);
    expect(table(result)).toEqual([
      [1, 1, 1, true, null],
      [2, 1, 2, false, 'Did not fit the £0 left'],
    ]);
    // The order of the ballots does not matter.
    expect(count(round, [p(2, 1_000), p(1, 1_000)], [[1], [2]])).toEqual(result);
  });

  it('never funds a project with no votes, and money left over is reported in pence', () => {
    const round: CountRound = { budgetPence: 10_050, method: 'approval-budget', projectLimit: null };
    const result = count(round, [p(1, 2_525), p(2, 1_000)], [[1]]);
    expect(table(result)).toEqual([
      [1, 1, 1, true, null],
      [2, 0, 2, false, 'No votes'],
    ]);
    expect(result.totalFundedPence).toBe(2_525);
    expect(result.leftPence).toBe(7_525);
  });
});

describe('validateBallot', () => {
  const proposals = [p(1, 6_000), p(2, 5_000), p(3, 1_050)];
  it('refuses a knapsack ballot over the budget, saying by how much', () => {
    const round: CountRound = { budgetPence: 10_000, method: 'approval-budget', projectLimit: null };
    expect(validateBallot(round, proposals, [1, 2])).toBe('The projects chosen cost £110, which is £10 more than the budget of £100: remove some');
    expect(validateBallot(round, proposals, [1, 3])).toBeNull();
  });
  it('refuses too many choices, unknown projects, repeats and empty ballots', () => {
    const limited: CountRound = { budgetPence: 10_000, method: 'ranked', projectLimit: 2 };
    expect(validateBallot(limited, proposals, [1, 2, 3])).toBe('Choose no more than 2 projects (you chose 3)');
    expect(validateBallot(limited, proposals, [4])).toBe('Project 4 is not on this ballot');
    expect(validateBallot(limited, proposals, [1, 1])).toBe('Each project can be chosen only once');
    expect(validateBallot(limited, proposals, [])).toBe('Choose at least one project');
  });
  it('count refuses an invalid ballot rather than skipping it', () => {
    const round: CountRound = { budgetPence: 10_000, method: 'approval-budget', projectLimit: null };
    expect(() => count(round, proposals, [[1], [1, 2]])).toThrow('Ballot 2: The projects chosen cost £110');
  });
});

describe('recount', () => {
  it('re-runs the count from ballots.json text', () => {
    const json = {
      round: { id: 'r', name: 'Round', budgetPence: 10_000, method: 'approval-budget' as const, projectLimit: null },
      proposals: [p(1, 7_000), p(2, 5_000), p(3, 4_000), p(4, 1_000)],
      ballots: [[2, 3], [2, 3], [2, 4], [2], [1], [1], [1]],
    };
    expect(recount(JSON.stringify(json))).toEqual(count({ budgetPence: 10_000, method: 'approval-budget', projectLimit: null }, json.proposals, json.ballots));
  });
});
