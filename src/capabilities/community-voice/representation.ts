import { sql } from 'drizzle-orm';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { shareOf, suppress, suppressBreakdown, type Shown } from '../../platform/statistics/suppression.ts';
import { lsoasIn, resolveArea, responseIn, wardsOf, type VoiceArea } from './areas.ts';
import type { Campaign, Question } from './campaigns.ts';
import { ageBandLabels, ageBands, demographics, type AgeBand } from './vocabulary.ts';
import { defaultCapMultiple, rake, weightedMean, weightedShares, type RakeResult } from './weighting.ts';

/**
 * Whose voice? A campaign's respondents in an area set beside the people who live there: by smaller area (the
 * district's wards, or a ward's or neighbourhood's 2021 LSOAs), by age band, and the other demographics
 * respondents gave; and the campaign's results re-weighted to the population, beside the unweighted ones.
 *
 * The population is residents aged 16 or over (ONS mid-2020 estimates carried to 2021 LSOAs, see
 * indicators/population-ages.ts), because respondents are 16 or over. Every count shown goes through
 * small-number suppression, and anything worked out from a hidden count is hidden too.
 *
 * Gathering reads the database; `analyse` is pure, so the figures can be checked by hand.
 */

/** A representation ratio below this flags an area or group as under-represented. */
export const underRepresentedBelow = 0.5;
/** A representation ratio above this flags it as over-represented. */
export const overRepresentedAbove = 2;

export const weightChoices = ['none', 'age', 'area', 'age-and-area'] as const;
export type WeightChoice = (typeof weightChoices)[number];
export const weightChoiceLabels: Record<WeightChoice, string> = {
  none: 'No weighting',
  age: 'By age band',
  area: 'By area',
  'age-and-area': 'By age band and area together',
};

/** The age bands compared with residents: respondents are 16 or over. */
export const adultBands = ageBands.filter((b) => b !== 'under-16') as Exclude<AgeBand, 'under-16'>[];

export type Flag = 'no-responses' | 'few-responses' | 'under-represented' | 'over-represented';
export const flagLabels: Record<Flag, string> = {
  'no-responses': 'No responses',
  'few-responses': 'Few responses',
  'under-represented': 'Under-represented',
  'over-represented': 'Over-represented',
};

type Answer = { choices: string[] | null; scale: number | null };

export type Respondent = {
  /** The row of the "by area" table it falls in (ward or 2021 LSOA), or null when in none of them. */
  row: string | null;
  ageBand: string | null;
  gender: string | null;
  ethnicityGroup: string | null;
  disability: string | null;
  tenure: string | null;
  answers: Map<string, Answer>;
};

export type Gathered = {
  area: VoiceArea;
  rowKind: 'ward' | 'lsoa';
  rows: { code: string; name: string }[];
  /** Residents by row and age band (all bands, under-16 included); empty when the figures are not loaded. */
  population: Map<string, Map<string, number>>;
  respondents: Respondent[];
  questions: Pick<Question, 'id' | 'position' | 'kind' | 'prompt' | 'options' | 'scaleMin' | 'scaleMax'>[];
};

export type AreaRow = {
  code: string;
  name: string;
  responses: Shown;
  /** Residents aged 16 or over; null when the figures are not loaded. */
  population: number | null;
  responseShare: number | null;
  populationShare: number | null;
  ratio: number | null;
  perThousand: number | null;
  flag: Flag | null;
};

export type AgeRow = { band: string; label: string; respondents: Shown; respondentShare: number | null; residentShare: number | null; differencePoints: number | null; ratio: number | null; flag: Flag | null };

export type Breakdown = { label: string; cells: { label: string; count: Shown; share: number | null }[]; notGiven: Shown };

export type QuestionResult = {
  id: string;
  position: number;
  prompt: string;
  kind: Question['kind'];
  answered: Shown;
  options: { option: string; count: Shown; share: number | null; weightedShare: number | null }[];
  mean: number | null;
  weightedMean: number | null;
};

export type Weighting = {
  choice: Exclude<WeightChoice, 'none'>;
  result: RakeResult;
  /** By margin: how many respondents kept a factor of 1 (suppressed), and the categories nobody answered from. */
  margins: { name: string; unmatched: Shown; unmatchedAny: boolean; unweightable: string[] }[];
};

export type Representation = {
  area: VoiceArea;
  rowKind: 'ward' | 'lsoa';
  threshold: number;
  populationLoaded: boolean;
  responses: Shown;
  byArea: { rows: AreaRow[]; total: Shown; outside: Shown; outsideAny: boolean; population: number | null };
  byAge: { rows: AgeRow[]; gaveAge: Shown; underSixteen: Shown; notGiven: Shown; population: number | null; sharesHidden: boolean };
  others: Breakdown[];
  weighting: Weighting | null;
  questions: QuestionResult[];
  headline: string;
};

const sumOf = (m: Map<string, number> | undefined, bands: readonly string[] = adultBands) => bands.reduce((s, b) => s + (m?.get(b) ?? 0), 0);

function flagFor(count: number, shown: Shown, ratio: number | null, threshold: number): Flag | null {
  if (count === 0) return 'no-responses';
  if (count < threshold) return 'few-responses';
  if (shown.suppressed || ratio === null) return null; // hidden to protect a small count elsewhere
  if (ratio < underRepresentedBelow) return 'under-represented';
  if (ratio > overRepresentedAbove) return 'over-represented';
  return null;
}

/** A share as a whole percentage, for sentences. */
export const percent = (share: number) => `${Math.round(share * 100)}%`;

/** Works out every figure of the page from gathered rows. Pure. */
export function analyse(g: Gathered, options: { threshold: number; weight: WeightChoice; capMultiple?: number | null }): Representation {
  const { threshold } = options;
  const populationLoaded = g.population.size > 0;
  const all = g.respondents.length;
  const rowCodes = new Set(g.rows.map((r) => r.code));

  // ---- By area ----
  const rowCounts = g.rows.map((r) => g.respondents.filter((p) => p.row === r.code).length);
  const outsideCount = all - rowCounts.reduce((a, b) => a + b, 0);
  const areaBreakdown = suppressBreakdown(rowCounts, threshold);
  const rowPopulation = g.rows.map((r) => (populationLoaded ? sumOf(g.population.get(r.code)) : null));
  const totalPopulation = populationLoaded ? rowPopulation.reduce((a: number, b) => a + (b ?? 0), 0) : null;
  const areaRows: AreaRow[] = g.rows.map((r, i) => {
    const responses = areaBreakdown.cells[i]!;
    const population = rowPopulation[i]!;
    const responseShare = shareOf(responses, areaBreakdown.total);
    const populationShare = population !== null && totalPopulation ? population / totalPopulation : null;
    const ratio = responseShare !== null && populationShare ? responseShare / populationShare : null;
    const perThousand = !responses.suppressed && population ? (responses.value / population) * 1000 : null;
    return { ...r, responses, population, responseShare, populationShare, ratio, perThousand, flag: flagFor(rowCounts[i]!, responses, ratio, threshold) };
  });

  // ---- By age ----
  const areaAges = new Map<string, number>();
  for (const r of g.rows) for (const [band, n] of g.population.get(r.code) ?? []) areaAges.set(band, (areaAges.get(band) ?? 0) + n);
  const adultPopulation = populationLoaded ? sumOf(areaAges) : null;
  const bandCounts = adultBands.map((b) => g.respondents.filter((p) => p.ageBand === b).length);
  const underSixteenCount = g.respondents.filter((p) => p.ageBand === 'under-16').length;
  const notGivenCount = g.respondents.filter((p) => p.ageBand === null).length;
  // One breakdown with its total (everyone in the area), so the rows cannot be subtracted from it.
  const ageBreakdown = suppressBreakdown([...bandCounts, underSixteenCount, notGivenCount], threshold);
  const gaveAgeCount = bandCounts.reduce((a, b) => a + b, 0);
  // The base of the percentages is those who gave an age of 16 or over; it is total minus the last two cells,
  // so it is shown only if those are shown (or nobody is in them).
  const sharesHidden = [underSixteenCount, notGivenCount].some((c, i) => c > 0 && ageBreakdown.cells[adultBands.length + i]!.suppressed) || gaveAgeCount < threshold;
  const gaveAge: Shown = sharesHidden ? { value: null, suppressed: true } : { value: gaveAgeCount, suppressed: false };
  const ageRows: AgeRow[] = adultBands.map((band, i) => {
    const respondents = ageBreakdown.cells[i]!;
    const respondentShare = shareOf(respondents, gaveAge);
    const residentShare = adultPopulation ? (areaAges.get(band) ?? 0) / adultPopulation : null;
    const ratio = respondentShare !== null && residentShare ? respondentShare / residentShare : null;
    return {
      band,
      label: ageBandLabels[band],
      respondents,
      respondentShare,
      residentShare,
      differencePoints: respondentShare !== null && residentShare !== null ? (respondentShare - residentShare) * 100 : null,
      ratio,
      flag: populationLoaded ? flagFor(bandCounts[i]!, respondents, ratio, threshold) : null,
    };
  });

  // ---- Other demographics: respondents only ----
  const total = suppress(all, threshold);
  const others: Breakdown[] = demographics
    .filter((d) => d.key !== 'ageBand')
    .map((d) => {
      const counts = d.values.map((v) => g.respondents.filter((p) => p[d.key] === v).length);
      const missing = g.respondents.filter((p) => p[d.key] === null).length;
      const b = suppressBreakdown([...counts, missing], threshold);
      return {
        label: d.label,
        cells: d.values.map((v, i) => ({ label: (d.labels as Record<string, string>)[v]!, count: b.cells[i]!, share: shareOf(b.cells[i]!, b.total) })),
        notGiven: b.cells[counts.length]!,
      };
    });

  // ---- Weighting ----
  let weighting: Weighting | null = null;
  let weights = g.respondents.map(() => 1);
  if (options.weight !== 'none' && populationLoaded && all > 0) {
    const margins: { name: string; population: Map<string, number>; value: (p: Respondent) => string | null; label: (c: string) => string }[] = [];
    if (options.weight !== 'area') {
      margins.push({ name: 'Age band', population: new Map(adultBands.map((b) => [b, areaAges.get(b) ?? 0])), value: (p) => p.ageBand, label: (c) => ageBandLabels[c as AgeBand] ?? c });
    }
    if (options.weight !== 'age') {
      const names = new Map(g.rows.map((r) => [r.code, r.name]));
      margins.push({ name: g.rowKind === 'ward' ? 'Ward' : 'LSOA', population: new Map(g.rows.map((r, i) => [r.code, rowPopulation[i] ?? 0])), value: (p) => (p.row && rowCodes.has(p.row) ? p.row : null), label: (c) => names.get(c) ?? c });
    }
    const result = rake(
      g.respondents.map((p) => margins.map((m) => m.value(p))),
      margins.map((m) => ({ name: m.name, population: m.population })),
      { capMultiple: options.capMultiple === undefined ? defaultCapMultiple : options.capMultiple },
    );
    weights = result.weights;
    weighting = {
      choice: options.weight,
      result,
      margins: result.margins.map((m, i) => ({ name: m.name, unmatched: suppress(m.unmatched, threshold), unmatchedAny: m.unmatched > 0, unweightable: m.unweightable.map((c) => margins[i]!.label(c)) })),
    };
  }

  // ---- Questions ----
  const questions: QuestionResult[] = g.questions
    .filter((q) => q.kind !== 'text')
    .map((q) => {
      const answers = g.respondents.map((p) => p.answers.get(q.id));
      const base = { id: q.id, position: q.position, prompt: q.prompt, kind: q.kind };
      if (q.kind === 'scale') {
        const values = answers.map((a) => a?.scale ?? null);
        const answered = suppress(values.filter((v) => v !== null).length, threshold);
        return {
          ...base,
          answered,
          options: [],
          mean: answered.suppressed ? null : weightedMean(values, values.map(() => 1)),
          weightedMean: answered.suppressed || !weighting ? null : weightedMean(values, weights),
        };
      }
      const chosen = answers.map((a) => (a?.choices?.length ? a.choices : null));
      const opts = q.options ?? [];
      const counts = opts.map((o) => chosen.filter((c) => c?.includes(o)).length);
      const answeredCount = chosen.filter((c) => c !== null).length;
      // Choose-one answers make a breakdown of those who answered; choose-any options overlap, so each stands alone.
      const cells = q.kind === 'choice' ? suppressBreakdown(counts, threshold).cells : counts.map((c) => suppress(c, threshold));
      const answered = suppress(answeredCount, threshold);
      const shares = weighting ? weightedShares(chosen, weights) : null;
      return {
        ...base,
        answered,
        options: opts.map((option, i) => ({
          option,
          count: cells[i]!,
          share: shareOf(cells[i]!, answered),
          weightedShare: shares && !cells[i]!.suppressed && !answered.suppressed ? (shares.get(option) ?? 0) : null,
        })),
        mean: null,
        weightedMean: null,
      };
    });

  const representation: Omit<Representation, 'headline'> = {
    area: g.area,
    rowKind: g.rowKind,
    threshold,
    populationLoaded,
    responses: total,
    byArea: { rows: areaRows, total: areaBreakdown.total, outside: suppress(outsideCount, threshold), outsideAny: outsideCount > 0, population: totalPopulation },
    byAge: { rows: ageRows, gaveAge, underSixteen: ageBreakdown.cells[adultBands.length]!, notGiven: ageBreakdown.cells[adultBands.length + 1]!, population: adultPopulation, sharesHidden },
    others,
    weighting,
    questions,
  };
  return { ...representation, headline: headline(representation, all) };
}

/** The answer in one sentence: the most under-represented age group if it can be said, else the areas not heard. */
export function headline(r: Omit<Representation, 'headline'>, all: number): string {
  const name = r.area.name;
  if (all === 0) return `Nobody in ${name} has answered this campaign yet.`;
  if (!r.populationLoaded) return `Population figures by age are not loaded yet, so who answered in ${name} cannot be compared with who lives there.`;
  // A band nobody answered from is 0% of respondents: saying so identifies no one (its flag says it already).
  const gaps = r.byAge.rows
    .map((row) => ({
      row,
      points: row.differencePoints ?? (row.flag === 'no-responses' && !r.byAge.sharesHidden && row.residentShare ? -row.residentShare * 100 : null),
    }))
    .filter((g): g is { row: AgeRow; points: number } => g.points !== null)
    .sort((a, b) => a.points - b.points);
  const most = gaps[0];
  const places = r.rowKind === 'ward' ? 'wards' : 'small areas (LSOAs)';
  const none = r.byArea.rows.filter((row) => row.flag === 'no-responses').length;
  const few = r.byArea.rows.filter((row) => row.flag === 'few-responses').length;
  const has = (n: number) => (n === 1 ? 'has' : 'have');
  const parts = [none ? `${none} ${has(none)} no responses` : '', few ? `${few} ${has(few)} fewer than ${r.threshold}` : ''].filter(Boolean);
  const areaSentence = parts.length ? ` Of ${r.byArea.rows.length} ${places}, ${parts.join(' and ')}.` : '';
  if (most && most.points < 0) {
    const share = most.row.respondentShare === null ? 'none' : percent(most.row.respondentShare);
    return `People aged ${most.row.label.toLowerCase()} are ${percent(most.row.residentShare!)} of residents aged 16 or over in ${name} but ${share} of those who answered and gave their age.${areaSentence}`;
  }
  if (most) return `Those who answered in ${name} and gave their age match residents aged 16 or over closely: no age group is short of its share.${areaSentence}`;
  return `Too few people who answered in ${name} gave their age to compare them with residents without risking identifying someone.${areaSentence}`;
}

// ---- Reading the database ----

/** The area a campaign is looked at for when none is chosen: its district, else the district most of its responses are in. */
export async function defaultArea(db: Db, viewer: Viewer, campaign: Campaign): Promise<VoiceArea | null> {
  if (campaign.lad25) return resolveArea(db, viewer, `lad25:${campaign.lad25}`);
  const [row] = await queryRows<{ lad25: string }>(db, sql`select lad25 from voice_responses where campaign_id = ${campaign.id} and lad25 is not null group by lad25 order by count(*) desc, lad25 limit 1`);
  return row ? resolveArea(db, viewer, `lad25:${row.lad25}`) : null;
}

/** The district whose wards the area form offers. */
export async function districtOf(db: Db, campaign: Campaign, area: VoiceArea | null): Promise<{ code: string; name: string } | null> {
  const code =
    campaign.lad25 ??
    (area?.kind === 'lad25' ? area.code : null) ??
    (area?.kind === 'ward25' ? ((await queryRows<{ code: string }>(db, sql`select to_code as code from area_lookups where from_vintage = 'ward25' and from_code = ${area.code} and to_vintage = 'lad25' limit 1`))[0]?.code ?? null) : null);
  if (!code) return null;
  const [row] = await queryRows<{ name: string }>(db, sql`select name from areas where vintage = 'lad25' and code = ${code}`);
  return row ? { code, name: row.name } : null;
}

export async function gather(db: Db, campaign: Campaign, questions: Gathered['questions'], area: VoiceArea): Promise<Gathered> {
  const rowKind = area.kind === 'lad25' ? 'ward' : 'lsoa';
  const rows =
    area.kind === 'lad25'
      ? await wardsOf(db, area.code)
      : await queryRows<{ code: string; name: string }>(db, sql`select l.code, coalesce(a.name, l.code) as name from (${lsoasIn(area)}) l left join areas a on a.vintage = 'lsoa21' and a.code = l.code order by 2, 1`);
  const populationRows =
    area.kind === 'lad25'
      ? await queryRows<{ row: string; band: string; people: number }>(
          db,
          sql`select l.to_code as row, p.band, sum(p.people)::float8 as people from area_lookups l join population_age_bands p on p.vintage = 'lsoa21' and p.code = l.from_code
              where l.from_vintage = 'lsoa21' and l.to_vintage = 'ward25' and l.from_code in (${lsoasIn(area)}) group by 1, 2`,
        )
      : await queryRows<{ row: string; band: string; people: number }>(
          db,
          sql`select p.code as row, p.band, sum(p.people)::float8 as people from population_age_bands p where p.vintage = 'lsoa21' and p.code in (${lsoasIn(area)}) group by 1, 2`,
        );
  const population = new Map<string, Map<string, number>>();
  for (const p of populationRows) {
    if (!population.has(p.row)) population.set(p.row, new Map());
    population.get(p.row)!.set(p.band, Number(p.people));
  }
  const people = await queryRows<{ id: string; ward25: string | null; lsoa21: string | null; age_band: string | null; gender: string | null; ethnicity_group: string | null; disability: string | null; tenure: string | null }>(
    db,
    sql`select r.id, r.ward25, r.lsoa21, r.age_band, r.gender, r.ethnicity_group, r.disability, r.tenure from voice_responses r where r.campaign_id = ${campaign.id} and ${responseIn(area)} order by r.id`,
  );
  const answers = await queryRows<{ response_id: string; question_id: string; choices: string[] | null; scale: number | null }>(
    db,
    sql`select a.response_id, a.question_id, a.choices, a.scale from voice_answers a join voice_responses r on r.id = a.response_id
        where r.campaign_id = ${campaign.id} and ${responseIn(area)} and (a.choices is not null or a.scale is not null)`,
  );
  const byResponse = new Map<string, Map<string, Answer>>();
  for (const a of answers) {
    if (!byResponse.has(a.response_id)) byResponse.set(a.response_id, new Map());
    byResponse.get(a.response_id)!.set(a.question_id, { choices: a.choices, scale: a.scale === null ? null : Number(a.scale) });
  }
  return {
    area,
    rowKind,
    rows,
    population,
    questions,
    respondents: people.map((p) => ({
      row: rowKind === 'ward' ? p.ward25 : p.lsoa21,
      ageBand: p.age_band,
      gender: p.gender,
      ethnicityGroup: p.ethnicity_group,
      disability: p.disability,
      tenure: p.tenure,
      answers: byResponse.get(p.id) ?? new Map(),
    })),
  };
}
