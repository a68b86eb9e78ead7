import { randomUUID } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { ImportError, Problems, readRows, readUpload, spreadsheetCsv, unguardCell } from '../../platform/data/csv.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { VoiceError, type Campaign, type Question } from './campaigns.ts';
import { answerField, checkResponse, commentField, insertResponse, type CheckedResponse, type ResponseInput } from './responses.ts';
import { voiceAnswers, voiceResponses } from './schema.ts';
import { demographics } from './vocabulary.ts';
import { neighbourhoodsVisibleTo, onDate, responseInputFromForm } from './response-form.ts';

/**
 * Responses in and out of a campaign: the form-shaped record every way of answering shares (public form,
 * volunteer capture, a response sent later from a device that was offline), CSV import with its template, and
 * CSV export. An export is a valid import: the same question and demographic columns, plus columns the import
 * reads only to keep a response's place (its areas, since the postcode itself is never kept) or ignores.
 */

// ---- CSV columns ---------------------------------------------------------------------------------------------

/** A question's column: `q3 How long have you lived here?`. Only the `q3` matters when reading; the rest is for people. */
export const questionColumn = (q: Pick<Question, 'position' | 'prompt'>) => `q${q.position} ${q.prompt.replace(/\s+/g, ' ').slice(0, 80)}`;
export const commentColumn = (q: Pick<Question, 'position'>) => `q${q.position}_comment`;

/** Columns an export adds: read only to keep a response's areas (lsoa21, ward25, lad25), otherwise ignored on import. */
const exportOnly = ['id', 'channel', 'lsoa21', 'ward25', 'lad25', 'neighbourhood', 'themes'] as const;

/** The template's columns, in order: when, where, each question (and its comment), then the consented demographics. */
export function templateColumns(questions: Question[]): string[] {
  return [
    'answered_at',
    'postcode',
    'neighbourhood_id',
    ...questions.flatMap((q) => (q.withComment ? [questionColumn(q), commentColumn(q)] : [questionColumn(q)])),
    'demographics_consent',
    ...demographics.map((d) => d.column),
  ];
}

export function exportColumns(questions: Question[]): string[] {
  const [answered, postcode, neighbourhood, ...rest] = templateColumns(questions);
  void postcode; // never kept, so never exported: the areas stand for it
  return ['id', answered!, 'channel', 'lsoa21', 'ward25', 'lad25', neighbourhood!, 'neighbourhood', ...rest, 'themes'];
}


export const templateCsv = (questions: Question[]) => spreadsheetCsv(templateColumns(questions), []);

// ---- Import --------------------------------------------------------------------------------------------------

export const maxImportRows = 5000;
const yes = ['yes', 'y', 'true', '1'];
const no = ['no', 'n', 'false', '0', ''];

/** Reads an answered_at cell: a date (YYYY-MM-DD, taken as midday) or a full ISO date and time. */
export function parseAnsweredAt(value: string): Date | null {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) return onDate(Number(day[1]), Number(day[2]), Number(day[3]));
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

type Row = { row: number; input: ResponseInput; areas: { lsoa21: string; ward25: string; lad25: string } | null };

/**
 * Imports a CSV or Excel file of responses in the template's layout: every row is checked first (problems named
 * by row and column), then all are recorded in one transaction, or none. Returns how many and the import's id.
 */
export async function importResponses(db: Db, campaign: Campaign, questions: Question[], bytes: Buffer, file: string, viewer: Viewer, actor: Actor): Promise<{ rows: number; importId: string }> {
  // Paper forms are often typed up after the closing date, so only the campaign's status stops an import (as capture).
  if (campaign.status !== 'open') throw new VoiceError('This campaign is not open, so responses cannot be imported: a coordinator must open it first', 'file', 409);
  const { rows, problems } = await readUpload(bytes, file, (saved) => readImportRows(saved, file, questions));

  const importId = randomUUID();
  await db.transaction(async (tx) => {
    const checked: CheckedResponse[] = [];
    const columnOf = new Map<string, string>([
      ['postcode', 'postcode'],
      ['neighbourhood', 'neighbourhood_id'],
      ['answered-at', 'answered_at'],
      ['demographics-consent', 'demographics_consent'],
      ...demographics.map((d) => [d.field, d.column] as [string, string]),
      // A question's column by its short name: what the reader looks for, and the full heading is long.
      ...questions.flatMap((q) => [[answerField(q), `q${q.position}`] as [string, string], [commentField(q), commentColumn(q)] as [string, string]]),
    ]);
    const knownAreas = await areaCodes(tx, rows);
    for (const r of rows) {
      if (problems.full) break;
      const result = await checkResponse(tx, questions, r.input, { neighbourhoodAllowed: neighbourhoodsVisibleTo(viewer) });
      for (const p of result.problems) problems.add(r.row, columnOf.get(p.field) ?? '(row)', p.message);
      if (r.areas) {
        for (const [vintage, code] of Object.entries(r.areas)) if (code && !knownAreas.has(`${vintage}:${code}`)) problems.add(r.row, vintage, `${code} is not a ${vintage} code Patchwork knows`);
      }
      if (result.checked) {
        // An exported response placed by postcode keeps its areas: the postcode itself was never kept.
        if (r.areas && result.checked.place.locationSource === 'none') result.checked.place = { locationSource: 'postcode', lsoa21: r.areas.lsoa21 || null, ward25: r.areas.ward25 || null, lad25: r.areas.lad25 || null, neighbourhoodId: null };
        checked.push(result.checked);
      }
    }
    // In row order, however they were found (reading the cells, then checking the answers).
    if (problems.list.length) throw new ImportError(file, [...problems.list].sort((a, b) => a.row - b.row));
    for (const c of checked) await insertResponse(tx, campaign, c, { channel: 'import', importId, capturedBy: null });
    await recordAudit(tx, {
      actor,
      action: 'voice.responses.imported',
      objectType: 'voice_campaign',
      objectId: campaign.id,
      organisationId: campaign.organisationId,
      details: { importId, rows: checked.length, file },
    });
  });
  return { rows: rows.length, importId };
}

async function areaCodes(tx: Tx, rows: Row[]): Promise<Set<string>> {
  const wanted = rows.flatMap((r) => (r.areas ? Object.entries(r.areas).filter(([, code]) => code).map(([vintage, code]) => `${vintage}:${code}`) : []));
  if (!wanted.length) return new Set();
  const found = await queryRows<{ key: string }>(tx, sql`select vintage || ':' || code as key from areas where vintage || ':' || code = any(${sql.param([...new Set(wanted)])}::text[])`);
  return new Set(found.map((f) => f.key));
}

/** Reads the file's rows as responses to check; problems with the headings or cells that cannot be read at all stop it here. */
async function readImportRows(filePath: string, file: string, questions: Question[]): Promise<{ rows: Row[]; problems: Problems }> {
  const problems = new Problems();
  const rows: Row[] = [];
  const byPosition = new Map(questions.map((q) => [q.position, q]));
  let headings: Map<string, { kind: 'question' | 'comment'; question: Question } | { kind: 'plain'; name: string }> | null = null;
  for await (const { row, values } of readRows(filePath)) {
    if (!headings) {
      headings = new Map();
      const plain = new Set<string>(['answered_at', 'postcode', 'neighbourhood_id', 'demographics_consent', ...demographics.map((d) => d.column), ...exportOnly]);
      const seen = new Set<string>();
      for (const heading of Object.keys(values)) {
        if (heading === '') continue;
        // "Answered at" and "answered_at" are the same heading, as in the directory's import.
        const key = heading.trim().toLowerCase().replace(/[\s-]+/g, '_');
        const q = /^q(\d+)(_comment)?(?=\s|$)/i.exec(heading);
        const name = q ? `q${Number(q[1])}${q[2] ? '_comment' : ''}` : key;
        if (seen.has(name)) problems.add(1, heading, `There are two columns for ${name}: keep one`);
        seen.add(name);
        if (q) {
          const question = byPosition.get(Number(q[1]));
          if (!question) problems.add(1, heading, `This campaign has no question ${Number(q[1])}: its questions are q1 to q${questions.length}`);
          else if (q[2] && !question.withComment) problems.add(1, heading, `Question ${question.position} takes no comment: leave this column out${question.kind === 'text' ? `, and put the answer in its q${question.position} column` : ''}`);
          else headings.set(heading, { kind: q[2] ? 'comment' : 'question', question });
        } else if (plain.has(key)) headings.set(heading, { kind: 'plain', name: key });
        else problems.add(1, heading, `“${heading}” is not a column of this campaign’s template: download the template and check the heading against it`);
      }
      if (!seen.has('answered_at')) problems.add(1, 'answered_at', 'The file needs a column headed answered_at (the date each response was given)');
      for (const q of questions) if (!seen.has(`q${q.position}`)) problems.add(1, `q${q.position}`, `The file needs a column for question ${q.position}, headed q${q.position} (the words after it are for people)`);
      problems.throwIfAny(file);
    }
    if (rows.length >= maxImportRows) {
      problems.add(row, '(row)', `A file may hold at most ${maxImportRows.toLocaleString('en-GB')} responses: split it into smaller files`);
      break;
    }
    const form: Record<string, string | string[]> = {};
    const cell: Record<string, string> = {};
    for (const [heading, raw] of Object.entries(values)) {
      const meaning = headings.get(heading);
      if (!meaning) continue;
      const value = unguardCell((raw ?? '').trim());
      if (meaning.kind === 'plain') cell[meaning.name] = value;
      else if (meaning.kind === 'comment') form[commentField(meaning.question)] = value;
      else if (meaning.question.kind === 'multiple-choice') form[answerField(meaning.question)] = value.split(';').map((v) => v.trim()).filter(Boolean);
      else form[answerField(meaning.question)] = value;
    }
    const input = responseInputFromForm(form, questions);
    input.postcode = cell.postcode || null;
    input.neighbourhoodId = cell.neighbourhood_id || null;
    const consent = (cell.demographics_consent ?? '').toLowerCase();
    if (!yes.includes(consent) && !no.includes(consent)) problems.add(row, 'demographics_consent', 'Write yes if the person agreed to their answers about themselves being kept, or leave it blank');
    input.demographicsConsent = yes.includes(consent);
    input.demographics = Object.fromEntries(demographics.map((d) => [d.key, cell[d.column] || null]));
    if (!cell.answered_at) problems.add(row, 'answered_at', 'Enter the date the response was given, like 2026-05-14');
    else {
      const at = parseAnsweredAt(cell.answered_at);
      if (!at) problems.add(row, 'answered_at', `“${cell.answered_at.slice(0, 40)}” is not a date like 2026-05-14 (or a date and time like 2026-05-14T10:30:00Z)`);
      input.answeredAt = at ?? new Date();
    }
    const areas = cell.lsoa21 || cell.ward25 || cell.lad25 ? { lsoa21: (cell.lsoa21 ?? '').toUpperCase(), ward25: (cell.ward25 ?? '').toUpperCase(), lad25: (cell.lad25 ?? '').toUpperCase() } : null;
    rows.push({ row, input, areas: input.postcode || input.neighbourhoodId ? null : areas });
    if (problems.full) break;
  }
  if (!rows.length && !problems.list.length) throw new ImportError(file, [], `${file} has no responses in it: below the heading row, each row is one response.`);
  return { rows, problems };
}

// ---- Export --------------------------------------------------------------------------------------------------

/**
 * Every response to a campaign in the template's layout, for its coordinators: what was said, where (as areas),
 * the demographics given with consent, and themes. Never contact details. The caller audits it.
 */
export async function exportResponses(db: Tx, campaign: Campaign, questions: Question[]): Promise<{ csv: string; rows: number }> {
  const responses = await db
    .select({
      id: voiceResponses.id,
      answeredAt: voiceResponses.answeredAt,
      channel: voiceResponses.channel,
      lsoa21: voiceResponses.lsoa21,
      ward25: voiceResponses.ward25,
      lad25: voiceResponses.lad25,
      neighbourhoodId: voiceResponses.neighbourhoodId,
      neighbourhood: sql<string | null>`(select n.name from neighbourhoods n where n.id = ${voiceResponses.neighbourhoodId})`,
      demographicsConsent: voiceResponses.demographicsConsent,
      ageBand: voiceResponses.ageBand,
      gender: voiceResponses.gender,
      ethnicityGroup: voiceResponses.ethnicityGroup,
      disability: voiceResponses.disability,
      tenure: voiceResponses.tenure,
      themes: sql<string | null>`(select string_agg(t.name, '; ' order by lower(t.name)) from voice_response_themes rt join voice_themes t on t.id = rt.theme_id where rt.response_id = ${voiceResponses.id})`,
    })
    .from(voiceResponses)
    .where(eq(voiceResponses.campaignId, campaign.id))
    .orderBy(asc(voiceResponses.answeredAt), asc(voiceResponses.id));
  const answers = await db
    .select({ responseId: voiceAnswers.responseId, questionId: voiceAnswers.questionId, text: voiceAnswers.text, choices: voiceAnswers.choices, scale: voiceAnswers.scale, comment: voiceAnswers.comment })
    .from(voiceAnswers)
    .innerJoin(voiceResponses, eq(voiceResponses.id, voiceAnswers.responseId))
    .where(eq(voiceResponses.campaignId, campaign.id));
  const answerOf = new Map(answers.map((a) => [`${a.responseId}|${a.questionId}`, a]));
  const rows = responses.map((r) => {
    const row = [r.id, r.answeredAt.toISOString(), r.channel, r.lsoa21 ?? '', r.ward25 ?? '', r.lad25 ?? '', r.neighbourhoodId ?? '', r.neighbourhood ?? ''];
    for (const q of questions) {
      const a = answerOf.get(`${r.id}|${q.id}`);
      row.push(a ? (a.text ?? (a.choices ? a.choices.join('; ') : a.scale !== null ? String(a.scale) : '')) : '');
      if (q.withComment) row.push(a?.comment ?? '');
    }
    // The database keeps no demographics without consent; the check here keeps the export honest if that ever changed.
    const consented = r.demographicsConsent;
    row.push(consented ? 'yes' : '');
    for (const d of demographics) row.push(consented ? (r[d.key] ?? '') : '');
    row.push(r.themes ?? '');
    return row;
  });
  return { csv: spreadsheetCsv(exportColumns(questions), rows), rows: rows.length };
}
