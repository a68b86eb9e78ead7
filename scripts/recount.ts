/**
 * Re-runs a participatory budgeting count from a round's published ballots.json, with nothing but this repository
 * (no database, no server): npx tsx scripts/recount.ts ballots.json [--json]
 * It prints each project's votes (or points), rank and outcome, the total funded and the money left; --json prints
 * the whole result object, the same one the results page is drawn from. See docs/PB-COUNT.md.
 */
import { readFileSync } from 'node:fs';
import { methodInWords, recount, selectionInWords, tieRuleInWords } from '../src/capabilities/funds/count.ts';

const [file, flag] = process.argv.slice(2);
if (!file) {
  console.error('Usage: npx tsx scripts/recount.ts path/to/ballots.json [--json]');
  process.exit(2);
}
const result = recount(readFileSync(file, 'utf8'));
if (flag === '--json') {
  console.log(JSON.stringify(result, null, 2));
} else {
  const pounds = (pence: number) => `£${(pence / 100).toFixed(2)}`;
  console.log(`${result.ballotCount} ballots; budget ${pounds(result.budgetPence)}; method ${result.method}`);
  console.log(methodInWords[result.method]);
  console.log(selectionInWords);
  console.log(tieRuleInWords);
  console.log('');
  console.log(['rank', 'number', 'cost', 'votes', 'ballots', 'outcome', 'title'].join('\t'));
  for (const p of result.proposals) console.log([p.rank, p.number, pounds(p.amountPence), p.votes, p.ballots, p.funded ? 'funded' : `not funded: ${p.reason}`, p.title].join('\t'));
  console.log('');
  console.log(`Total funded ${pounds(result.totalFundedPence)}; left ${pounds(result.leftPence)}`);
}
