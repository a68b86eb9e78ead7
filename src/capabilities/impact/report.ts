import type { Db } from '../../platform/db/database.ts';
import { todayInEngland } from '../../platform/web/dates.ts';
import { partnershipFacts } from '../partnerships/report.ts';
import { modelReport, modelsOf, type ModelReport } from './models.ts';
import { outcomeProgress, type OutcomeProgress } from './outcomes.ts';
import { storiesFor, type StoryView } from './stories.ts';

/**
 * The impact report: everything a partnership would put in front of residents, its board or a funder, made from
 * the work itself — outcomes with their measures' progress and sources, the stories people agreed to share, and
 * each SROI model with every assumption and its source. The page and the PDF both draw from this.
 */

export type ImpactReport = {
  partnership: NonNullable<Awaited<ReturnType<typeof partnershipFacts>>>;
  generatedOn: string;
  outcomes: OutcomeProgress[];
  /** Published stories only: a report leaves the partnership, so it carries only what people consented to share. */
  stories: StoryView[];
  /** How many stories were left out because they are not published. */
  storiesHeldBack: number;
  models: ModelReport[];
  /** Plain-English sentences that lead the report. */
  highlights: string[];
};

/** How the report's figures were made, in words, on the page and in the PDF. */
export const reportMethod =
  'Measures show the source of every figure. Values linked to Patchwork’s data (the English Indices of Deprivation, local data, community voice results and counts of people supported) are taken as published; counts below the suppression threshold are never shown. Social return follows the Social Value UK guide to SROI: each outcome’s value is its quantity times its financial proxy, less deadweight, displacement and attribution, falling by drop-off each year after the first, discounted each year; inputs are taken as spent at the start. Every proxy and assumption carries the source its author gave. Patchwork supplies no proxy values.';

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;

export async function impactReport(db: Db, partnershipId: string): Promise<ImpactReport | null> {
  const partnership = await partnershipFacts(db, partnershipId);
  if (!partnership) return null;
  const [outcomes, all, summaries] = await Promise.all([outcomeProgress(db, partnershipId), storiesFor(db, { partnershipId, publishedOnly: false }), modelsOf(db, partnershipId)]);
  const models = (await Promise.all(summaries.map((m) => modelReport(db, partnershipId, m.id)))).filter((m): m is ModelReport => m !== null);
  const stories = all.filter((s) => s.published);
  return { partnership, generatedOn: todayInEngland(), outcomes, stories, storiesHeldBack: all.length - stories.length, models, highlights: highlightsOf(outcomes, stories, models) };
}

export function highlightsOf(outcomes: readonly OutcomeProgress[], stories: readonly StoryView[], models: readonly ModelReport[]): string[] {
  const measures = outcomes.flatMap((o) => o.measures);
  const measured = measures.filter((m) => m.movement !== 'no-data');
  const rightWay = measured.filter((m) => m.movement === 'right-way').length;
  const onTrack = measured.filter((m) => m.onTrack === true).length;
  const lines = [
    outcomes.length
      ? `${plural(outcomes.length, 'outcome', 'outcomes')} agreed with the community, tracked by ${plural(measures.length, 'measure', 'measures')}.`
      : 'No outcomes have been agreed yet.',
  ];
  if (measures.length) lines.push(measured.length ? `${rightWay} of the ${plural(measured.length, 'measure', 'measures')} with values ${rightWay === 1 ? 'is' : 'are'} moving the right way, and ${onTrack} ${onTrack === 1 ? 'is' : 'are'} on track to reach ${onTrack === 1 ? 'its' : 'their'} target.` : 'No measure has a value yet.');
  lines.push(stories.length ? `${plural(stories.length, 'story', 'stories')} published with the consent of the people they are about.` : 'No stories have been published yet.');
  for (const m of models) if (m.result && m.headline) lines.push(`${m.model.title} (${m.model.period}): ${m.headline.ratioText}.`);
  return lines;
}
