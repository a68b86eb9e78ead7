import { sql } from 'drizzle-orm';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { fewerThan } from '../../platform/statistics/suppression.ts';
import { longDate, todayInEngland } from '../../platform/web/dates.ts';
import { knownVintages } from '../geography/lookups.ts';
import { domains } from '../indicators/iod-import.ts';
import type { Edition } from '../indicators/service.ts';
import { valuesForAreas, visibleLocalIndicators, type LocalIndicator } from '../local-data/service.ts';
import { getCampaign, questionsOf, type Campaign, type Question } from '../community-voice/campaigns.ts';
import { campaignResults } from '../community-voice/results.ts';
import { placeStandardResults } from '../community-voice/place-standard.ts';
import { placeStandardScale, placeStandardThemes } from '../community-voice/vocabulary.ts';
import { introductionsByRoute, wellbeingChange, type InsightScope } from '../supporting-people/insight.ts';
import { scoreKeys } from '../supporting-people/wellbeing.ts';
import type { MeasureDirection, MeasureSource } from './schema.ts';
import { financialYearOfDate, financialYearWords } from '../community-wealth/financial-years.ts';

/**
 * Measures linked to what Patchwork already holds: an Indices of Deprivation domain for one of the partnership's
 * areas, a local indicator, a community voice result, a suppressed aggregate of people supported, or the social
 * value delivered under one of the partnership's organisations' contracts.
 *
 * A ref comes back from a form, so it is never trusted: linkedSeries finds it again among the choices this viewer
 * would be offered for this partnership, and gives nothing for one that is not there. Every value leaving here is
 * one the source's own pages already show: voice and support figures go through the same suppression, and a
 * figure from fewer people than the threshold becomes a note, never a point.
 */

/** Something a measure can be linked to, as the measure form offers it. */
export type LinkedChoice = { source: Exclude<MeasureSource, 'manual'>; ref: Record<string, string>; label: string; unit: string; direction: MeasureDirection; sourceNote: string; group?: string };
export type LinkedPoint = { measuredOn: string; value: number; source: string };
export type LinkedSource = Exclude<MeasureSource, 'manual'>;

export class LinkedSourceError extends Error {}

/** The same ref: every key and value alike (refs are small, flat and all strings). */
export function sameRef(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => typeof b[k] === 'string' && a[k] === b[k]);
}

/** A stable string for a ref (keys sorted), for a select's value. */
export function refKey(ref: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.keys(ref).sort().map((k) => [k, ref[k]])));
}

export async function linkedChoices(db: Tx, viewer: Viewer, partnershipId: string, source: LinkedSource): Promise<LinkedChoice[]> {
  if (!(await takesPart(db, viewer, partnershipId))) return [];
  if (source === 'indicator') return (await iodChoices(db, partnershipId)).map((c) => c.choice);
  if (source === 'local-indicator') return (await localChoices(db, viewer, partnershipId)).map((c) => c.choice);
  if (source === 'voice') return (await voiceChoices(db, partnershipId)).map((c) => c.choice);
  if (source === 'support') return supportChoices();
  if (source === 'social-value') return (await socialValueChoices(db, partnershipId)).map((c) => c.choice);
  return [];
}

export async function linkedSeries(db: Tx, viewer: Viewer, partnershipId: string, source: LinkedSource, ref: Record<string, string>, threshold: number): Promise<{ points: LinkedPoint[]; notes: string[] }> {
  if (!(await takesPart(db, viewer, partnershipId))) throw new LinkedSourceError('Not a member of this partnership');
  const refused = () => {
    throw new LinkedSourceError('That is not something this partnership’s measures can be linked to');
  };
  if (source === 'indicator') {
    const found = (await iodChoices(db, partnershipId)).find((c) => sameRef(c.choice.ref, ref)) ?? refused();
    return iodSeries(db, found!.place, ref);
  }
  if (source === 'local-indicator') {
    const found = (await localChoices(db, viewer, partnershipId)).find((c) => sameRef(c.choice.ref, ref)) ?? refused();
    return localSeries(found!);
  }
  if (source === 'voice') {
    const found = (await voiceChoices(db, partnershipId)).find((c) => sameRef(c.choice.ref, ref)) ?? refused();
    return voiceSeries(db, partnershipId, found!.family, ref, threshold);
  }
  if (source === 'support') {
    if (!supportChoices().some((c) => sameRef(c.ref, ref))) refused();
    return supportSeries(db, partnershipId, ref, threshold);
  }
  if (source === 'social-value') {
    const found = (await socialValueChoices(db, partnershipId)).find((c) => sameRef(c.choice.ref, ref)) ?? refused();
    return socialValueSeries(db, found!);
  }
  return refused()!;
}

// ---- Who and where -------------------------------------------------------------------------------------------------

/** Members of one of the partnership's organisations (and site administrators), as its pages allow. */
async function takesPart(db: Tx, viewer: Viewer, partnershipId: string): Promise<boolean> {
  if (!viewer.user) return false;
  if (viewer.user.isSiteAdmin) return (await queryRows(db, sql`select 1 from partnerships where id = ${partnershipId}`)).length > 0;
  if (!viewer.organisationIds.length) return false;
  const rows = await queryRows(
    db,
    sql`select 1 from partnership_organisations where partnership_id = ${partnershipId}
        and organisation_id in (${sql.join(viewer.organisationIds.map((id) => sql`${id}`), sql`, `)})`,
  );
  return rows.length > 0;
}

type Place = { level: 'ward' | 'lad'; code: string; name: string; /** The vintages the code is known in here (one for a ward). */ vintages: string[] };

/** The partnership's wards (as chosen) and the districts they lie in (through their small areas), wards first. */
async function placesOf(db: Tx, partnershipId: string): Promise<Place[]> {
  const wards = await queryRows<{ vintage: string; code: string; name: string | null }>(
    db,
    sql`select pa.area_vintage as vintage, pa.area_code as code, a.name from partnership_areas pa
        left join areas a on a.vintage = pa.area_vintage and a.code = pa.area_code
        where pa.partnership_id = ${partnershipId} and pa.area_code is not null order by a.name, pa.area_code`,
  );
  const places: Place[] = wards.map((w) => ({ level: levelOfVintage(w.vintage) === 'lad' ? 'lad' : 'ward', code: w.code, name: w.name ?? w.code, vintages: [w.vintage] }));
  const wardPlaces = places.filter((p) => p.level === 'ward');
  if (wardPlaces.length) {
    const districts = await queryRows<{ vintage: string; code: string; name: string | null }>(
      db,
      sql`select distinct d.to_vintage as vintage, d.to_code as code, a.name from area_lookups w
          join area_lookups d on d.from_vintage = w.from_vintage and d.from_code = w.from_code and d.to_vintage like 'lad%'
          left join areas a on a.vintage = d.to_vintage and a.code = d.to_code
          where (w.to_vintage, w.to_code) in (${sql.join(wardPlaces.map((p) => sql`(${p.vintages[0]!}, ${p.code})`), sql`, `)})
          order by 3, 2, 1`,
    );
    for (const d of districts) {
      const known = places.find((p) => p.level === 'lad' && p.code === d.code);
      if (known) {
        if (!known.vintages.includes(d.vintage)) known.vintages.push(d.vintage);
        if (known.name === known.code && d.name) known.name = d.name;
      } else places.push({ level: 'lad', code: d.code, name: d.name ?? d.code, vintages: [d.vintage] });
    }
  }
  return places;
}

function levelOfVintage(vintage: string): 'lsoa' | 'ward' | 'lad' | null {
  const type = knownVintages[vintage]?.type;
  return type === 'lsoa' || type === 'ward' || type === 'lad' ? type : null;
}

const placeWords = (p: Place) => (p.level === 'ward' ? `${p.name} ward` : `${p.name} (district)`);
const vintageWords = (vintage: string) => knownVintages[vintage]?.label ?? vintage;

// ---- Indices of Deprivation ----------------------------------------------------------------------------------------

/** What a measure reads from an area's IoD summary. Both are lower for less deprived places. */
const iodMeasures = {
  'share-most-deprived': { label: 'Share of small areas (LSOAs) in the most deprived 10% in England', unit: '% of LSOAs', column: 'proportion_bottom_decile' },
  'average-score': { label: 'Average score', unit: 'score (higher is more deprived)', column: 'average_score' },
} as const;
type IodMeasure = keyof typeof iodMeasures;

async function iodChoices(db: Tx, partnershipId: string): Promise<{ choice: LinkedChoice; place: Place }[]> {
  const places = await placesOf(db, partnershipId);
  if (!places.length) return [];
  // Offer a domain and measure only where some edition loaded has a figure for the place.
  const held = await queryRows<{ code: string; domain: string; score: boolean }>(
    db,
    sql`select s.code, split_part(s.indicator_id, '.', 2) as domain, bool_or(s.average_score is not null) as score
        from area_summaries s join editions e on e.id = split_part(s.indicator_id, '.', 1)
        where s.code in (${sql.join(places.map((p) => sql`${p.code}`), sql`, `)})
          and s.vintage in (e.ward_vintage, e.lad_vintage)
        group by 1, 2`,
  );
  const editionsNote = await editionsWords(db);
  const choices: { choice: LinkedChoice; place: Place }[] = [];
  for (const place of places) {
    for (const domain of domains) {
      const found = held.find((h) => h.code === place.code && h.domain === domain.key);
      if (!found) continue;
      for (const [key, m] of Object.entries(iodMeasures) as [IodMeasure, (typeof iodMeasures)[IodMeasure]][]) {
        if (key === 'average-score' && !found.score) continue;
        choices.push({
          place,
          choice: {
            source: 'indicator',
            ref: { level: place.level, code: place.code, vintage: place.vintages[0]!, domain: domain.key, measure: key },
            label: `${domain.label}: ${m.label.charAt(0).toLowerCase()}${m.label.slice(1)}, ${placeWords(place)}`,
            unit: m.unit,
            direction: 'decrease',
            group: placeWords(place),
            sourceNote: `English Indices of Deprivation (${editionsNote}), ${domain.label} summary for ${placeWords(place)} (${place.code}), worked out by Patchwork from the published LSOA figures. Open Government Licence v3.0. Editions use different indicators and boundaries, so they are not strictly comparable.`,
          },
        });
      }
    }
  }
  return choices;
}

async function editionsWords(db: Tx): Promise<string> {
  const rows = await queryRows<{ id: string; publisher: string }>(db, sql`select id, publisher from editions order by published_on`);
  return rows.map((r) => `${r.id.replace(/^iod/, 'IoD')}, ${r.publisher}`).join('; ') || 'no edition loaded';
}

async function iodSeries(db: Tx, place: Place, ref: Record<string, string>): Promise<{ points: LinkedPoint[]; notes: string[] }> {
  const measure = iodMeasures[ref.measure as IodMeasure];
  const domain = domains.find((d) => d.key === ref.domain)!;
  const list = await queryRows<Pick<Edition, 'id' | 'label' | 'wardVintage' | 'ladVintage'> & { publishedOn: string }>(
    db,
    sql`select id, label, ward_vintage as "wardVintage", lad_vintage as "ladVintage", to_char(published_on, 'YYYY-MM-DD') as "publishedOn" from editions order by published_on`,
  );
  const rows = await queryRows<{ indicator_id: string; vintage: string; value: number | null }>(
    db,
    sql`select indicator_id, vintage, ${sql.raw(measure.column)} as value from area_summaries
        where code = ${place.code} and indicator_id in (${sql.join(list.map((e) => sql`${`${e.id}.${domain.key}`}`), sql`, `)})`,
  );
  const points: LinkedPoint[] = [];
  const notes: string[] = [];
  for (const edition of list) {
    const vintage = place.level === 'ward' ? edition.wardVintage : edition.ladVintage;
    const row = rows.find((r) => r.indicator_id === `${edition.id}.${domain.key}` && r.vintage === vintage);
    if (!row) {
      notes.push(`${edition.label} gives ${place.level === 'ward' ? 'wards' : 'districts'} on other boundaries (${vintageWords(vintage)}), where ${place.code} does not appear, so it is not compared.`);
      continue;
    }
    if (row.value === null) {
      notes.push(`${edition.label} has no ${measure.label.toLowerCase()} for ${domain.label}.`);
      continue;
    }
    const value = Number(row.value);
    points.push({
      measuredOn: edition.publishedOn,
      value: ref.measure === 'share-most-deprived' ? Math.round(value * 1000) / 10 : value,
      source: `${edition.label} (${domain.label}), ${placeWords(place)} ${place.code} on ${vintageWords(vintage)} boundaries`,
    });
  }
  return { points, notes };
}

// ---- Local indicators ----------------------------------------------------------------------------------------------

type LocalFound = { choice: LinkedChoice; indicator: LocalIndicator; place: Place; value: number; method: string; covered: number; of: number };

/**
 * valuesForAreas reads only an edition's three vintages: this names the geography to read at, so a place on any
 * boundaries Patchwork has lookups for can be given a value (as uploaded, or rolled up from small areas).
 */
function geography(lsoa: string, level: 'ward' | 'lad', vintage: string): Edition {
  return { lsoaVintage: lsoa, wardVintage: level === 'ward' ? vintage : '', ladVintage: level === 'lad' ? vintage : '' } as Edition;
}

async function localChoices(db: Tx, viewer: Viewer, partnershipId: string): Promise<LocalFound[]> {
  const places = await placesOf(db, partnershipId);
  if (!places.length) return [];
  // A transaction is a database too; visibleLocalIndicators only reads.
  const indicators = await visibleLocalIndicators(db as Db, viewer);
  const found: LocalFound[] = [];
  for (const indicator of indicators) {
    const indicatorLevel = levelOfVintage(indicator.vintage);
    for (const place of places) {
      // Same kind of area: codes name boundaries, so a value uploaded for the code is the place's. Else roll up from LSOAs.
      const tries = indicatorLevel === place.level ? [geography('', place.level, indicator.vintage)] : indicatorLevel === 'lsoa' ? place.vintages.map((v) => geography(indicator.vintage, place.level, v)) : [];
      for (const g of tries) {
        const v = (await valuesForAreas(db, indicator, g, place.level, [place.code])).get(place.code);
        if (!v || v.value === null) continue;
        found.push({
          indicator,
          place,
          value: v.value,
          method: v.method,
          covered: v.covered,
          of: v.of,
          choice: {
            source: 'local-indicator',
            ref: { indicatorId: indicator.id, level: place.level, code: place.code },
            label: `${indicator.label} (${indicator.period}), ${placeWords(place)}`,
            unit: indicator.unit,
            direction: indicator.direction === 'higher-is-better' ? 'increase' : 'decrease',
            group: indicator.label,
            sourceNote: `${indicator.source}. ${indicator.licence}. Local data shared by ${indicator.ownerName ?? 'a partner organisation'}${v.method === 'as uploaded' ? '' : `, ${v.method === 'sum' ? 'summed' : 'averaged, weighted by population,'} from small areas (LSOAs) to ${placeWords(place)}`}.`,
          },
        });
        break;
      }
    }
  }
  return found;
}

/** The date a period means (its end), or null when it is not one: "2024", "2024-25", "2024/25", "March 2024", a date. */
export function periodEnd(period: string): string | null {
  const p = period.trim();
  let m = /^(\d{4})$/.exec(p);
  if (m) return `${m[1]}-12-31`;
  m = /^(?:FY\s*)?(\d{4})\s*[-/–]\s*(\d{2}|\d{4})$/i.exec(p);
  if (m) {
    const start = Number(m[1]);
    const end = m[2]!.length === 2 ? Math.floor(start / 100) * 100 + Number(m[2]) : Number(m[2]);
    // A financial year: April to the end of March.
    return end === start + 1 ? `${end}-03-31` : null;
  }
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(p);
  if (m && !Number.isNaN(Date.parse(`${p}T00:00:00Z`)) && new Date(`${p}T00:00:00Z`).toISOString().startsWith(p)) return p;
  m = /^(january|february|march|april|may|june|july|august|september|october|november|december)\s+(\d{4})$/i.exec(p);
  if (m) {
    const month = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'].indexOf(m[1]!.toLowerCase());
    return new Date(Date.UTC(Number(m[2]), month + 1, 0)).toISOString().slice(0, 10);
  }
  return null;
}

function localSeries(found: LocalFound): { points: LinkedPoint[]; notes: string[] } {
  const { indicator, place } = found;
  const end = periodEnd(indicator.period);
  const uploaded = indicator.uploadedAt ? indicator.uploadedAt.toISOString().slice(0, 10) : null;
  const measuredOn = end ?? uploaded;
  const notes: string[] = [];
  if (!measuredOn) return { points: [], notes: [`${indicator.label} has neither a period that is a date nor an upload date, so it cannot be placed in time.`] };
  const dated = end ? `period ${indicator.period}, dated at its end` : `period “${indicator.period}” is not a date, so dated by its upload on ${longDate(uploaded)}`;
  const how = found.method === 'as uploaded' ? 'as uploaded' : `${found.method === 'sum' ? 'sum' : 'population-weighted average'} of ${found.covered} of ${found.of} LSOAs`;
  if (found.covered < found.of) notes.push(`${found.of - found.covered} of ${found.of} small areas in ${placeWords(place)} have no value in ${indicator.label}; the figure is from the others.`);
  return { points: [{ measuredOn, value: found.value, source: `${indicator.label} (${dated}), ${placeWords(place)}, ${how}; ${indicator.source}` }], notes };
}

// ---- Community voice -----------------------------------------------------------------------------------------------

type VoiceFamily = Campaign[];

/**
 * The partnership's organisations' campaigns (not drafts), in families of an assessment and its repeats, oldest
 * first. A family is named by its first campaign, so a measure keeps its ref when a further repeat is made.
 */
async function voiceFamilies(db: Tx, partnershipId: string): Promise<VoiceFamily[]> {
  const rows = await queryRows<{ id: string; repeat_of_id: string | null }>(
    db,
    sql`select c.id, c.repeat_of_id from voice_campaigns c
        where c.status <> 'draft' and c.organisation_id in (select po.organisation_id from partnership_organisations po where po.partnership_id = ${partnershipId})
        order by coalesce(c.closes_on, c.created_at::date), c.created_at`,
  );
  const ids = new Set(rows.map((r) => r.id));
  const parent = new Map(rows.map((r) => [r.id, r.repeat_of_id && ids.has(r.repeat_of_id) ? r.repeat_of_id : null]));
  const rootOf = (id: string): string => {
    const seen = new Set<string>();
    let at = id;
    while (parent.get(at) && !seen.has(at)) {
      seen.add(at);
      at = parent.get(at)!;
    }
    return at;
  };
  const families = new Map<string, string[]>();
  for (const r of rows) {
    const root = rootOf(r.id);
    families.set(root, [...(families.get(root) ?? []), r.id]);
  }
  const result: VoiceFamily[] = [];
  for (const [root, members] of families) {
    // The root first, then the repeats in date order.
    const ordered = [root, ...members.filter((m) => m !== root)];
    result.push((await Promise.all(ordered.map((id) => getCampaign(db, id)))).filter((c): c is Campaign => c !== null));
  }
  return result;
}

/** A question asked again in a repeat: same kind and wording (Place Standard themes by theme). */
const sameQuestion = (a: Question, b: Question) => a.kind === b.kind && a.prompt.trim().toLowerCase() === b.prompt.trim().toLowerCase();

async function voiceChoices(db: Tx, partnershipId: string): Promise<{ choice: LinkedChoice; family: VoiceFamily }[]> {
  const out: { choice: LinkedChoice; family: VoiceFamily }[] = [];
  for (const family of await voiceFamilies(db, partnershipId)) {
    const root = family[0]!;
    const latest = family[family.length - 1]!;
    const repeats = family.length > 1 ? ` and ${family.length - 1} repeat${family.length > 2 ? 's' : ''}` : '';
    const title = `${root.title}${repeats}`;
    const note = `Community voice: “${title}”, run by ${root.organisationName}${root.sample ? ' (sample data)' : ''}. Residents’ answers, counts below the suppression threshold not shown. Collected by the partnership; not a published statistic.`;
    const base = { source: 'voice' as const, sourceNote: note, group: title };
    if (root.kind === 'place-standard') {
      for (const theme of placeStandardThemes) {
        out.push({ family, choice: { ...base, ref: { campaignId: root.id, theme: theme.key }, label: `Place Standard: ${theme.label} (${title})`, unit: `mean rating, ${placeStandardScale.min} to ${placeStandardScale.max}`, direction: 'increase' } });
      }
      continue;
    }
    // The questions as last asked, found in the first campaign too (the ref names the first campaign's question).
    const rootQuestions = await questionsOf(db, root.id);
    const latestQuestions = latest.id === root.id ? rootQuestions : await questionsOf(db, latest.id);
    for (const q of rootQuestions) {
      if (!latestQuestions.some((l) => sameQuestion(l, q)) && family.length > 1) continue;
      if (q.kind === 'scale') {
        out.push({ family, choice: { ...base, ref: { campaignId: root.id, questionId: q.id }, label: `${q.prompt} (mean answer, ${title})`, unit: `mean on a scale of ${q.scaleMin} to ${q.scaleMax}`, direction: 'increase' } });
      } else if (q.kind === 'choice') {
        for (const option of q.options ?? []) {
          out.push({ family, choice: { ...base, ref: { campaignId: root.id, questionId: q.id, option }, label: `${q.prompt} — share answering “${option}” (${title})`, unit: '% of those answering', direction: 'increase' } });
        }
      }
    }
  }
  return out;
}

function campaignDate(c: Campaign): { on: string | null; words: string } {
  if (c.closesOn) return { on: c.closesOn, words: c.status === 'closed' ? `closed ${longDate(c.closesOn)}` : `closing ${longDate(c.closesOn)}; results so far` };
  if (c.status === 'closed') {
    const on = c.updatedAt.toISOString().slice(0, 10);
    return { on, words: `closed (no closing date set; dated when last changed, ${longDate(on)})` };
  }
  return { on: null, words: 'open, with no closing date' };
}

async function voiceSeries(db: Tx, _partnershipId: string, family: VoiceFamily, ref: Record<string, string>, threshold: number): Promise<{ points: LinkedPoint[]; notes: string[] }> {
  const points: LinkedPoint[] = [];
  const notes: string[] = [];
  const rootQuestions = ref.questionId ? await questionsOf(db, family[0]!.id) : [];
  const asked = rootQuestions.find((q) => q.id === ref.questionId);
  const hidden = `fewer than ${threshold} responses, not shown`;
  for (const campaign of family) {
    const when = campaignDate(campaign);
    if (!when.on) {
      notes.push(`“${campaign.title}” is open with no closing date, so it is not shown yet.`);
      continue;
    }
    const source = `Community voice: “${campaign.title}” (${when.words})${campaign.sample ? ', sample data' : ''}`;
    if (ref.theme) {
      const results = await placeStandardResults(db, campaign, {}, threshold);
      const theme = results.overall.themes.find((t) => t.key === ref.theme);
      if (!theme || theme.mean === null) notes.push(`“${campaign.title}”, ${theme?.label ?? ref.theme}: ${hidden}.`);
      else points.push({ measuredOn: when.on, value: Math.round(theme.mean * 100) / 100, source });
      continue;
    }
    const question = campaign.id === family[0]!.id ? asked : (await questionsOf(db, campaign.id)).find((q) => asked && sameQuestion(q, asked));
    if (!question) {
      notes.push(`“${campaign.title}” did not ask “${asked?.prompt ?? 'this question'}”, so it has no figure.`);
      continue;
    }
    const results = await campaignResults(db, campaign, [question], {}, threshold);
    const result = results.questions[0]!;
    if (question.kind === 'scale') {
      if (result.mean === null) notes.push(`“${campaign.title}”: ${hidden}.`);
      else points.push({ measuredOn: when.on, value: Math.round(result.mean * 100) / 100, source });
      continue;
    }
    const row = result.rows.find((r) => r.label === ref.option);
    if (result.answered.value === null) notes.push(`“${campaign.title}”: ${hidden}.`);
    else if (!row) notes.push(`“${campaign.title}” did not offer “${ref.option}”, so it has no figure.`);
    else if (row.share === null) notes.push(`“${campaign.title}”: ${row.text === 'hidden' ? 'hidden so that a smaller number cannot be worked out' : `${fewerThan(threshold)} chose “${ref.option}”, not shown`}.`);
    else points.push({ measuredOn: when.on, value: Math.round(row.share * 1000) / 10, source: `${source}, ${row.text} of ${result.answered.text} answering` });
  }
  return { points, notes };
}

// ---- Supporting people ---------------------------------------------------------------------------------------------

const supportNote =
  'Supporting people records of the partnership’s organisations’ teams: counts only, each below the suppression threshold kept back. Patchwork’s own records, not a published statistic.';

function supportChoices(): LinkedChoice[] {
  return [
    { source: 'support', ref: { measure: 'introductions', period: 'quarter' }, label: 'People introduced for support, per quarter', unit: 'introductions', direction: 'increase', sourceNote: supportNote, group: 'Supporting people' },
    { source: 'support', ref: { measure: 'introductions', period: 'year' }, label: 'People introduced for support, per year', unit: 'introductions', direction: 'increase', sourceNote: supportNote, group: 'Supporting people' },
    ...scoreKeys.map(
      (s): LinkedChoice => ({
        source: 'support',
        ref: { measure: 'wellbeing-improved', score: s.key },
        label: `Share whose ${s.name.charAt(0).toLowerCase()}${s.name.slice(1)} improved (people introduced each year, first to latest measure)`,
        unit: '% of people measured twice',
        direction: 'increase',
        sourceNote: `${supportNote} Wellbeing measured with ${s.key === 'swemwbsMetric' ? 'SWEMWBS (© University of Warwick)' : 'the ONS personal wellbeing questions (ONS4)'}.`,
        group: 'Supporting people',
      }),
    ),
  ];
}

type Period = { from: string; to: string; words: string };

/** Whole quarters or years from the one holding `first` up to today; the last may still be running. */
function periodsSince(first: string, kind: 'quarter' | 'year', today: string): Period[] {
  const periods: Period[] = [];
  let year = Number(first.slice(0, 4));
  let quarter = kind === 'quarter' ? Math.floor((Number(first.slice(5, 7)) - 1) / 3) : 0;
  for (;;) {
    const from = kind === 'year' ? `${year}-01-01` : `${year}-${String(quarter * 3 + 1).padStart(2, '0')}-01`;
    if (from > today) break;
    const to = kind === 'year' ? `${year}-12-31` : new Date(Date.UTC(year, quarter * 3 + 3, 0)).toISOString().slice(0, 10);
    periods.push({ from, to, words: kind === 'year' ? String(year) : `${['January to March', 'April to June', 'July to September', 'October to December'][quarter]} ${year}` });
    if (kind === 'year' || quarter === 3) {
      year += 1;
      quarter = 0;
    } else quarter += 1;
  }
  return periods;
}

async function supportSeries(db: Tx, partnershipId: string, ref: Record<string, string>, threshold: number): Promise<{ points: LinkedPoint[]; notes: string[] }> {
  // Only the first date is read, to know which periods to count; it never leaves here.
  const [first] = await queryRows<{ first: string | null }>(
    db,
    sql`select to_char(min(i.introduced_on), 'YYYY-MM-DD') as first from support_introductions i
        join support_people p on p.id = i.person_id join support_teams t on t.id = p.team_id
        where t.organisation_id in (select po.organisation_id from partnership_organisations po where po.partnership_id = ${partnershipId})`,
  );
  if (!first?.first) return { points: [], notes: ['Nobody has been introduced to the partnership’s support teams yet.'] };
  const today = todayInEngland();
  const points: LinkedPoint[] = [];
  const notes: string[] = [];
  const scope = (p: Period): InsightScope => ({ partnershipId, from: p.from, to: p.to, area: null });
  if (ref.measure === 'introductions') {
    for (const p of periodsSince(first.first, ref.period === 'year' ? 'year' : 'quarter', today)) {
      if (p.to >= today) {
        notes.push(`${p.words} is not over yet, so it is not shown.`);
        continue;
      }
      const routes = await introductionsByRoute(db, scope(p), threshold);
      if (routes.totalShown.value === null) notes.push(`${p.words}: ${fewerThan(threshold)} introductions, not shown.`);
      else points.push({ measuredOn: p.to, value: routes.totalShown.value, source: `Supporting people: introductions to the partnership’s teams, ${p.words}` });
    }
    return { points, notes };
  }
  // wellbeingChange gives one row per score, in the order of scoreKeys.
  const index = scoreKeys.findIndex((s) => s.key === ref.score);
  for (const p of periodsSince(first.first, 'year', today)) {
    const row = (await wellbeingChange(db, scope(p), threshold))[index];
    const share = row && !row.suppressed ? /^(\d+)%$/.exec(row.improved) : null;
    const running = p.to >= today;
    if (!share) notes.push(`People introduced in ${p.words}: ${fewerThan(threshold)} measured at the start and later, not shown.`);
    else points.push({ measuredOn: running ? today : p.to, value: Number(share[1]), source: `Supporting people: ${row!.people} people introduced in ${p.words}${running ? ' (so far)' : ''}, first to latest wellbeing measure` });
  }
  return { points, notes };
}

// ---- Social value delivered ----------------------------------------------------------------------------------------

type SocialValueFound = { choice: LinkedChoice; measureId: string; measure: string; unit: string; organisation: string };

/** One choice per social value measure of the partnership's organisations (community-wealth/social-value.ts). */
async function socialValueChoices(db: Tx, partnershipId: string): Promise<SocialValueFound[]> {
  const rows = await queryRows<{ id: string; name: string; unit: string; organisation: string }>(
    db,
    sql`select m.id, m.name, m.unit, o.name as organisation from social_value_measures m join organisations o on o.id = m.organisation_id
        where m.organisation_id in (select po.organisation_id from partnership_organisations po where po.partnership_id = ${partnershipId})
        order by o.name, m.name, m.id`,
  );
  return rows.map((r) => ({
    measureId: r.id,
    measure: r.name,
    unit: r.unit,
    organisation: r.organisation,
    choice: {
      source: 'social-value',
      ref: { measureId: r.id },
      label: `${r.name} delivered under ${r.organisation}’s contracts, per financial year`,
      unit: r.unit,
      direction: 'increase',
      group: `Social value: ${r.organisation}`,
      sourceNote: `Social value deliveries ${r.organisation} recorded against its contracts, with their evidence (community wealth pages). The organisation’s own records, not a published statistic.`,
    },
  }));
}

/** The financial year (April to March) holding a date, by the year it starts: 2025 for 2025-04-01 to 2026-03-31. */

/**
 * What was delivered in each financial year from the first delivery to the last year that is over, dated at the
 * year's end: years with none recorded count as nothing delivered, and the year still running is left out.
 */
async function socialValueSeries(db: Tx, found: SocialValueFound): Promise<{ points: LinkedPoint[]; notes: string[] }> {
  const rows = await queryRows<{ delivered_on: string; quantity: number }>(
    db,
    sql`select to_char(d.delivered_on, 'YYYY-MM-DD') as delivered_on, d.quantity from social_value_deliveries d
        join social_value_commitments c on c.id = d.commitment_id where c.measure_id = ${found.measureId}`,
  );
  if (!rows.length) return { points: [], notes: [`Nothing has been recorded as delivered for ${found.measure} yet.`] };
  const byYear = new Map<number, number>();
  for (const r of rows) byYear.set(financialYearOfDate(r.delivered_on), (byYear.get(financialYearOfDate(r.delivered_on)) ?? 0) + Number(r.quantity));
  const running = financialYearOfDate(todayInEngland());
  const points: LinkedPoint[] = [];
  const notes: string[] = [];
  for (let year = Math.min(...byYear.keys()); year <= Math.max(...byYear.keys()); year++) {
    if (year >= running) {
      notes.push(`${financialYearWords(year)} is not over yet, so it is not shown.`);
      break;
    }
    points.push({
      measuredOn: `${year + 1}-03-31`,
      value: Math.round((byYear.get(year) ?? 0) * 100) / 100,
      source: `Social value delivered under ${found.organisation}’s contracts: ${found.measure} (${found.unit}), ${financialYearWords(year)}`,
    });
  }
  return { points, notes };
}
