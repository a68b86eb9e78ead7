import { sql, type SQL } from 'drizzle-orm';
import { spreadsheetCsv } from '../../platform/data/csv.ts';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import { cellText, shareOf, suppress, suppressBreakdown, type Shown } from '../../platform/statistics/suppression.ts';
import { responseIn, type VoiceArea } from './areas.ts';
import type { Campaign, Question } from './campaigns.ts';
import { demographics, type DemographicKey } from './vocabulary.ts';

/**
 * A campaign's results as counts that are safe to show: every count below the threshold is hidden, so is the
 * next smallest where a total would give a hidden one back, and so is anything worked out from a hidden count
 * (a percentage, a mean). Free text appears only where a coordinator marked it publishable, in the words they
 * chose. The same figures feed the page, the CSV and the public summary, so none can show more than another.
 */

/** One demographic band to look at alone: `ageBand:25-34`. */
export type Group = { key: DemographicKey; value: string; label: string };

export function parseGroup(raw: string | undefined): Group | null {
  const match = /^([A-Za-z]+):([a-z0-9-]+)$/.exec(raw?.trim() ?? '');
  if (!match) return null;
  const d = demographics.find((x) => x.key === match[1]);
  if (!d || !(d.values as readonly string[]).includes(match[2]!)) return null;
  return { key: d.key, value: match[2]!, label: `${d.label}: ${(d.labels as Record<string, string>)[match[2]!]}` };
}

/** Every band of every demographic, for a "look at one group" select. */
export const groupChoices = demographics.flatMap((d) => d.values.map((v) => ({ value: `${d.key}:${v}`, text: `${d.label}: ${(d.labels as Record<string, string>)[v]}` })));

export type Filter = { area?: VoiceArea | null; group?: Group | null };

/** A shown figure with the words a table cell reads. */
export type Figure = { value: number | null; text: string; share: number | null };
export type Row = { label: string } & Figure;

export type QuestionResult = {
  question: Pick<Question, 'id' | 'position' | 'prompt' | 'kind' | 'placeStandardTheme' | 'scaleMinLabel' | 'scaleMaxLabel'>;
  /** People who answered it. */
  answered: Figure;
  /** Answers chosen, or points on a scale (empty for free text). */
  rows: Row[];
  /** For scales: the mean, hidden with fewer answers than the threshold. */
  mean: number | null;
  /** The words marked publishable (the trimmed quote where there is one). */
  quotes: string[];
};

export type Results = {
  threshold: number;
  total: Figure;
  questions: QuestionResult[];
  themes: Row[];
  /** Whether any cell is hidden only to protect another (so the page can say why). */
  secondary: boolean;
};

/** What a cell reads: the number, "fewer than 5", or "hidden" for a cell kept back only so a smaller one cannot be worked out. */
function figure(shown: Shown, threshold: number, base: Shown | null = null): Figure {
  if (!shown.suppressed) return { value: shown.value, text: shown.value.toLocaleString('en-GB'), share: base ? shareOf(shown, base) : null };
  return { value: null, text: cellText(shown, threshold), share: null };
}

function filterSql(campaign: Pick<Campaign, 'id'>, filter: Filter): SQL {
  const parts = [sql`r.campaign_id = ${campaign.id}`];
  if (filter.area) parts.push(responseIn(filter.area));
  if (filter.group) {
    const column = demographics.find((d) => d.key === filter.group!.key)!.column;
    parts.push(sql`${sql.raw(`r.${column}`)} = ${filter.group.value}`);
  }
  return sql.join(parts, sql` and `);
}

export async function campaignResults(db: Tx, campaign: Pick<Campaign, 'id'>, questions: Question[], filter: Filter, threshold: number): Promise<Results> {
  const where = filterSql(campaign, filter);
  const [{ n: totalCount }] = (await queryRows<{ n: number }>(db, sql`select count(*)::int as n from voice_responses r where ${where}`)) as [{ n: number }];
  const answered = await queryRows<{ question_id: string; n: number }>(
    db,
    sql`select a.question_id, count(*)::int as n from voice_answers a join voice_responses r on r.id = a.response_id
        where ${where} and (a.text is not null or a.choices is not null or a.scale is not null) group by a.question_id`,
  );
  const chosen = await queryRows<{ question_id: string; choice: string; n: number }>(
    db,
    sql`select a.question_id, c.choice, count(distinct a.response_id)::int as n from voice_answers a join voice_responses r on r.id = a.response_id
        cross join lateral unnest(a.choices) as c(choice) where ${where} group by a.question_id, c.choice`,
  );
  const scaled = await queryRows<{ question_id: string; scale: number; n: number }>(
    db,
    sql`select a.question_id, a.scale, count(*)::int as n from voice_answers a join voice_responses r on r.id = a.response_id
        where ${where} and a.scale is not null group by a.question_id, a.scale`,
  );
  const quoted = await queryRows<{ question_id: string; words: string }>(
    db,
    sql`select a.question_id, coalesce(nullif(a.quote, ''), a.text, a.comment) as words from voice_answers a join voice_responses r on r.id = a.response_id
        where ${where} and a.publishable and coalesce(nullif(a.quote, ''), a.text, a.comment) is not null order by r.answered_at, r.id`,
  );
  const themed = await queryRows<{ name: string; n: number }>(
    db,
    sql`select t.name, count(distinct rt.response_id)::int as n from voice_themes t join voice_response_themes rt on rt.theme_id = t.id
        join voice_responses r on r.id = rt.response_id where ${where} group by t.id, t.name order by count(distinct rt.response_id) desc, lower(t.name)`,
  );

  let secondary = false;
  const answeredOf = new Map(answered.map((a) => [a.question_id, Number(a.n)]));
  const results = questions.map((q): QuestionResult => {
    const n = answeredOf.get(q.id) ?? 0;
    const answeredShown = suppress(n, threshold);
    const quotes = quoted.filter((x) => x.question_id === q.id).map((x) => x.words);
    const base = { question: q, mean: null, quotes };
    if (q.kind === 'choice' || q.kind === 'scale') {
      const labels = q.kind === 'choice' ? (q.options ?? []) : Array.from({ length: q.scaleMax! - q.scaleMin! + 1 }, (_, i) => String(q.scaleMin! + i));
      const counts = labels.map((label) =>
        q.kind === 'choice' ? Number(chosen.find((c) => c.question_id === q.id && c.choice === label)?.n ?? 0) : Number(scaled.find((s) => s.question_id === q.id && String(s.scale) === label)?.n ?? 0),
      );
      const { cells, total } = suppressBreakdown(counts, threshold);
      cells.forEach((c, i) => {
        if (c.suppressed && counts[i]! >= threshold) secondary = true;
      });
      const sum = counts.reduce((a, b) => a + b, 0);
      const mean = q.kind === 'scale' && !total.suppressed && sum > 0 ? counts.reduce((acc, c, i) => acc + c * Number(labels[i]), 0) / sum : null;
      const rows = labels.map((label, i) => ({
        label: q.kind === 'scale' ? scaleLabel(q, Number(label)) : label,
        ...figure(cells[i]!, threshold, total),
      }));
      return { ...base, answered: figure(total, threshold), rows, mean };
    }
    if (q.kind === 'multiple-choice') {
      // Each option is a count of its own (people may choose several), so each is hidden on its own.
      const rows = (q.options ?? []).map((label) => {
        const count = Number(chosen.find((c) => c.question_id === q.id && c.choice === label)?.n ?? 0);
        return { label, ...figure(suppress(count, threshold), threshold, answeredShown) };
      });
      return { ...base, answered: figure(answeredShown, threshold), rows };
    }
    return { ...base, answered: figure(answeredShown, threshold), rows: [] };
  });

  const totalShown = suppress(Number(totalCount), threshold);
  return {
    threshold,
    total: figure(totalShown, threshold),
    questions: results,
    themes: themed.map((t) => ({ label: t.name, ...figure(suppress(Number(t.n), threshold), threshold, totalShown) })),
    secondary,
  };
}

function scaleLabel(q: Pick<Question, 'scaleMin' | 'scaleMax' | 'scaleMinLabel' | 'scaleMaxLabel'>, point: number): string {
  if (point === q.scaleMin && q.scaleMinLabel) return `${point} (${q.scaleMinLabel})`;
  if (point === q.scaleMax && q.scaleMaxLabel) return `${point} (${q.scaleMaxLabel})`;
  return String(point);
}

/** A count on its own (responses to a published campaign, say), suppressed like any other. */
export function shownCount(n: number, threshold: number): Figure {
  return figure(suppress(n, threshold), threshold);
}


const percent = (share: number | null) => (share === null ? '' : `${Math.round(share * 100)}%`);

/**
 * The results as CSV: one row per answer, point on a scale, or theme. The `responses` column holds only shown
 * counts (never one below the threshold) or the words a hidden cell reads; a percentage or mean from a hidden
 * count is left empty.
 */
export function resultsCsv(campaign: Pick<Campaign, 'title' | 'sample'>, results: Results, filterWords: string): string {
  const columns = ['question_number', 'question', 'answer', 'responses', 'percent', 'mean'];
  const rows: string[][] = [];
  rows.push(['', campaign.sample ? `All responses: ${campaign.title} (sample data)` : `All responses: ${campaign.title}`, filterWords || 'Whole campaign', results.total.text, '', '']);
  for (const q of results.questions) {
    rows.push([String(q.question.position), q.question.prompt, 'Answered', q.answered.text, '', q.mean === null ? '' : q.mean.toFixed(2)]);
    for (const r of q.rows) rows.push([String(q.question.position), q.question.prompt, r.label, r.text, percent(r.share), '']);
  }
  for (const t of results.themes) rows.push(['', 'Theme', t.label, t.text, percent(t.share), '']);
  return spreadsheetCsv(columns, rows);
}
