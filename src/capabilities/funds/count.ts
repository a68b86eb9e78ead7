/**
 * Counting a participatory budgeting vote. Pure: no database, no clock, no randomness, so anyone can re-run the
 * published count from ballots.json (recount) and get exactly the same result. Money is integer pence.
 *
 * Methods:
 * - approval-budget: each ballot approves proposals whose costs together fit the round's budget. A proposal's
 *   votes are the number of ballots approving it.
 * - approval-limit: each ballot approves at most `projectLimit` proposals. Votes as above.
 * - ranked: each ballot ranks at most `projectLimit` (k) proposals. Borda-style points: first choice k points,
 *   second k − 1, and so on down to 1 for a k-th choice.
 *
 * Winners: greedy by votes, skipping any that no longer fit (the common PB rule). Proposals are taken in order of
 * votes (or points), highest first; each is funded if its cost fits the money still left, otherwise it is skipped
 * and the next is tried. A proposal nobody voted for is never funded.
 *
 * Ties: equal votes (or points) → the cheaper proposal first; still equal → the one named on more ballots at all;
 * still equal → the lower proposal number (submitted earlier). The order is therefore always fully determined.
 */

export type CountMethod = 'approval-budget' | 'approval-limit' | 'ranked';

export type CountRound = { budgetPence: number; method: CountMethod; projectLimit: number | null };
export type CountProposal = { number: number; title: string; amountPence: number };

export type ProposalResult = {
  number: number;
  title: string;
  amountPence: number;
  /** Ballots approving it (approval methods) or Borda points (ranked). */
  votes: number;
  /** Ballots naming it at all (the second tie rule). */
  ballots: number;
  /** 1 = most votes, after the tie rules. */
  rank: number;
  funded: boolean;
  /** Why it was not funded, in words; null when funded. */
  reason: string | null;
};

export type CountResult = {
  method: CountMethod;
  budgetPence: number;
  ballotCount: number;
  proposals: ProposalResult[];
  totalFundedPence: number;
  leftPence: number;
};

export const methodInWords: Record<CountMethod, string> = {
  'approval-budget': 'Each voter chose projects whose costs together fit within the budget. A project’s votes are the number of ballots that chose it.',
  'approval-limit': 'Each voter chose up to a set number of projects. A project’s votes are the number of ballots that chose it.',
  ranked: 'Each voter ranked up to a set number of projects. With k the most a voter may rank, a first choice scores k points, a second k − 1, and so on down to 1.',
};
export const selectionInWords = 'Projects are funded in order of votes, highest first, skipping any that no longer fit the money left (greedy by votes, skipping any that no longer fit: the common participatory budgeting rule). A project with no votes is not funded.';
export const tieRuleInWords = 'Where projects have equal votes, the cheaper project comes first; if still equal, the one named on more ballots; if still equal, the lower project number (the one submitted earlier).';

/** "£1,250" or "£1,250.50": kept here so the count has no imports and can be run on its own. */
const pounds = (pence: number) => {
  const rest = pence % 100;
  return `£${Math.floor(pence / 100).toLocaleString('en-GB')}${rest ? `.${String(rest).padStart(2, '0')}` : ''}`;
};

/**
 * Why a ballot cannot be accepted, or null when it can. The same rules apply online, on paper and in a recount.
 * `choices` are proposal numbers in the voter's order.
 */
export function validateBallot(round: CountRound, proposals: CountProposal[], choices: number[]): string | null {
  if (choices.length === 0) return 'Choose at least one project';
  const byNumber = new Map(proposals.map((p) => [p.number, p]));
  for (const c of choices) if (!Number.isInteger(c) || !byNumber.has(c)) return `Project ${c} is not on this ballot`;
  if (new Set(choices).size !== choices.length) return 'Each project can be chosen only once';
  if (round.method === 'approval-budget') {
    const total = choices.reduce((sum, c) => sum + byNumber.get(c)!.amountPence, 0);
    if (total > round.budgetPence) return `The projects chosen cost ${pounds(total)}, which is ${pounds(total - round.budgetPence)} more than the budget of ${pounds(round.budgetPence)}: remove some`;
  } else {
    const limit = round.projectLimit ?? 0;
    if (limit < 1) return 'This vote has no project limit set';
    if (choices.length > limit) return `Choose no more than ${limit} project${limit === 1 ? '' : 's'} (you chose ${choices.length})`;
  }
  return null;
}

/** Counts valid ballots; throws on an invalid one (the service never stores one, so that would be tampering). */
export function count(round: CountRound, proposals: CountProposal[], ballots: number[][]): CountResult {
  if (!Number.isSafeInteger(round.budgetPence) || round.budgetPence < 0) throw new Error('The budget must be whole pence');
  const votes = new Map<number, number>(proposals.map((p) => [p.number, 0]));
  const named = new Map<number, number>(proposals.map((p) => [p.number, 0]));
  const k = round.projectLimit ?? 0;
  ballots.forEach((choices, i) => {
    const problem = validateBallot(round, proposals, choices);
    if (problem) throw new Error(`Ballot ${i + 1}: ${problem}`);
    choices.forEach((c, position) => {
      votes.set(c, votes.get(c)! + (round.method === 'ranked' ? k - position : 1));
      named.set(c, named.get(c)! + 1);
    });
  });
  const order = [...proposals].sort(
    (a, b) => votes.get(b.number)! - votes.get(a.number)! || a.amountPence - b.amountPence || named.get(b.number)! - named.get(a.number)! || a.number - b.number,
  );
  let left = round.budgetPence;
  const results = order.map((p, i): ProposalResult => {
    const v = votes.get(p.number)!;
    let funded = false;
    let reason: string | null = null;
    if (v === 0) reason = 'No votes';
    else if (p.amountPence > left) reason = `Did not fit the ${pounds(left)} left`;
    else {
      funded = true;
      left -= p.amountPence;
    }
    return { number: p.number, title: p.title, amountPence: p.amountPence, votes: v, ballots: named.get(p.number)!, rank: i + 1, funded, reason };
  });
  return { method: round.method, budgetPence: round.budgetPence, ballotCount: ballots.length, proposals: results, totalFundedPence: round.budgetPence - left, leftPence: left };
}

/** What /budgets/:roundId/ballots.json publishes. */
export type BallotsJson = {
  round: { id: string; name: string; budgetPence: number; method: CountMethod; projectLimit: number | null };
  proposals: CountProposal[];
  ballots: number[][];
};

/** Re-runs the count from the published ballots.json (parsed or as text): the same result as the results page. */
export function recount(ballotsJson: BallotsJson | string): CountResult {
  const data = (typeof ballotsJson === 'string' ? JSON.parse(ballotsJson) : ballotsJson) as BallotsJson;
  return count({ budgetPence: data.round.budgetPence, method: data.round.method, projectLimit: data.round.projectLimit }, data.proposals, data.ballots);
}
