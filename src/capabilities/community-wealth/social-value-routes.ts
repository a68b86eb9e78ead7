import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { spreadsheetCsv } from '../../platform/data/csv.ts';
import { dateOf, linkDateErrors, longDate, pastDate, todayInEngland } from '../../platform/web/dates.ts';
import { formProblems, type FormErrors } from '../../platform/web/forms.ts';
import { parseNumber, plain, pounds } from '../impact/web.ts';
import { sendCsv } from '../indicators/routes.ts';
import {
  addContract,
  addMeasure,
  contractOf,
  contractsOf,
  financialYears,
  measuresOf,
  placeChoices,
  placeNames,
  recordDelivery,
  socialValueRollup,
  SocialValueError,
  supplierChoices,
  type CommitmentRow,
  type SocialValueRow,
} from './social-value.ts';
import { contractParams, contractPath, formBody, isUuid, money, orgParams, percent, read, socialValuePath, text, wealthContext, write, type Form } from './web.ts';
import { financialYearOfDate, financialYearPeriod, financialYearWords } from './financial-years.ts';

/**
 * Social value pages: what the organisation's contracts promised against what was delivered, by measure and by
 * place, for a financial year; the measures it asks for; its contracts and their promises; and deliveries recorded
 * with their evidence. Members (member and up) add measures, contracts and deliveries; viewers read.
 */

/** How many promises the contract form offers; more can be made in another contract, and most have a handful. */
const promiseRows = 5;

/** The delivery form of each commitment carries its own prefix, so the contract page's forms have distinct ids. */
const prefixOf = (commitmentId: string) => `c${commitmentId.slice(0, 8)}-`;

const amount = (n: number, unit: string) => `${plain(n)} ${unit}`;
const share = (delivered: number, promised: number) => percent(promised > 0 ? delivered / promised : null);

/** The roll-up's rows summed over places, one a measure (a measure's proxy is one value, so the values sum too). */
function byMeasure(rows: readonly SocialValueRow[]) {
  const out = new Map<string, { measure: string; unit: string; promised: number; delivered: number; promisedValue: number | null; deliveredValue: number | null; proxySource: string | null }>();
  for (const r of rows) {
    const key = `${r.measure}\u0000${r.unit}\u0000${r.proxySource ?? ''}`;
    const m = out.get(key) ?? { measure: r.measure, unit: r.unit, promised: 0, delivered: 0, promisedValue: r.promisedValue === null ? null : 0, deliveredValue: r.deliveredValue === null ? null : 0, proxySource: r.proxySource };
    m.promised += r.promised;
    m.delivered += r.delivered;
    if (m.promisedValue !== null && r.promisedValue !== null) m.promisedValue += r.promisedValue;
    if (m.deliveredValue !== null && r.deliveredValue !== null) m.deliveredValue += r.deliveredValue;
    out.set(key, m);
  }
  return [...out.values()];
}

type MeasureInput = { name: string; unit: string; proxyValue: number | null; proxySource: string | null };

function readMeasureForm(form: Form): { ok: true; input: MeasureInput } | { ok: false; errors: FormErrors } {
  const { errors, fail } = formProblems();
  const name = text(form, 'name').trim();
  if (!name) fail('name', 'Enter the name of the measure, like “Local jobs”');
  else if (name.length > 200) fail('name', 'The name must be 200 characters or fewer');
  const unit = text(form, 'unit').trim();
  if (!unit) fail('unit', 'Enter what the measure is counted in, like “jobs” or “hours”');
  else if (unit.length > 100) fail('unit', 'The unit must be 100 characters or fewer');
  const value = parseNumber(text(form, 'proxyValue'));
  const source = text(form, 'proxySource').trim();
  if (value === 'invalid') fail('proxyValue', 'Enter the value as a number of pounds, like 42.5');
  else if (value !== null && value < 0) fail('proxyValue', 'The value must be £0 or more');
  else if (value !== null && !source) fail('proxySource', 'Enter where the value comes from, or leave the value blank');
  if (source.length > 1000) fail('proxySource', 'The source must be 1,000 characters or fewer');
  if (errors.summary.length) return { ok: false, errors };
  return { ok: true, input: { name, unit, proxyValue: value as number | null, proxySource: value === null ? null : source } };
}

type ContractInput = {
  contract: { title: string; reference: string | null; supplierId: string | null; startsOn: string; endsOn: string; valuePence: number | null };
  promises: { measureId: string; promised: number; areaVintage: string | null; areaCode: string | null }[];
};

/** Reads the contract form against the organisation's own suppliers, measures and places: any other id is refused. */
function readContractForm(form: Form, known: { supplierIds: Set<string>; measureIds: Set<string>; places: Set<string> }): { ok: true; input: ContractInput } | { ok: false; errors: FormErrors } {
  const { errors, fail } = formProblems();
  const title = text(form, 'title').trim();
  if (!title) fail('title', 'Enter the contract’s title');
  else if (title.length > 300) fail('title', 'The title must be 300 characters or fewer');
  const reference = text(form, 'reference').trim();
  if (reference.length > 100) fail('reference', 'The reference must be 100 characters or fewer');
  const supplierId = text(form, 'supplierId');
  if (supplierId && !known.supplierIds.has(supplierId)) fail('supplierId', 'Choose one of the organisation’s suppliers, or none');
  const dates: Record<'startsOn' | 'endsOn', string | null> = { startsOn: null, endsOn: null };
  for (const [name, what] of [['startsOn', 'the contract starts'], ['endsOn', 'the contract ends']] as const) {
    const value = dateOf(form, name);
    if (value === null) fail(name, `Enter the date ${what}`);
    else if (value === 'invalid') fail(name, `The date ${what} must be a real date, for example 1 4 2025`);
    else if (value < '1990-01-01' || value > '2100-12-31') fail(name, `The date ${what} must be between 1990 and 2100`);
    else dates[name] = value;
  }
  if (dates.startsOn && dates.endsOn && dates.endsOn < dates.startsOn) fail('endsOn', 'The date the contract ends must be the same as or after the date it starts');
  const value = parseNumber(text(form, 'value'));
  if (value === 'invalid') fail('value', 'Enter the contract’s value as a number of pounds, like 250000');
  else if (value !== null && value < 0) fail('value', 'The contract’s value must be £0 or more');
  else if (value !== null && value > 1e13) fail('value', 'The contract’s value is too large');
  const promises: ContractInput['promises'] = [];
  for (let i = 1; i <= promiseRows; i++) {
    const measureId = text(form, `measure-${i}`);
    const typed = text(form, `promised-${i}`).trim();
    const where = text(form, `where-${i}`);
    if (!measureId && !typed) continue;
    const promised = parseNumber(typed);
    if (!measureId) fail(`measure-${i}`, `Choose the measure promise ${i} is in`);
    else if (!known.measureIds.has(measureId)) fail(`measure-${i}`, `Choose one of the organisation’s measures for promise ${i}`);
    if (promised === null) fail(`promised-${i}`, `Enter how much promise ${i} is for`);
    else if (promised === 'invalid') fail(`promised-${i}`, `Enter how much promise ${i} is for as a number, like 12`);
    else if (promised < 0) fail(`promised-${i}`, `What promise ${i} is for must be 0 or more`);
    if (!known.places.has(where)) fail(`where-${i}`, `Choose where promise ${i} is to be delivered`);
    if (typeof promised === 'number' && promised >= 0 && known.measureIds.has(measureId) && known.places.has(where)) {
      const [vintage, code] = where ? (where.split(/:(.*)/s) as [string, string]) : [null, null];
      promises.push({ measureId, promised, areaVintage: vintage, areaCode: code });
    }
  }
  if (errors.summary.length) return { ok: false, errors: linkDateErrors(errors, ['startsOn', 'endsOn']) };
  return {
    ok: true,
    input: {
      contract: { title, reference: reference || null, supplierId: supplierId || null, startsOn: dates.startsOn!, endsOn: dates.endsOn!, valuePence: value === null ? null : Math.round((value as number) * 100) },
      promises,
    },
  };
}

export const socialValueRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const orgOf = (request: FastifyRequest) => request.organisation!;

  /** The financial year asked for (by the year it starts), or this one when none or one not offered is asked. */
  const yearQuery = z.object({ year: z.string().max(10).optional() });
  const yearOf = async (request: FastifyRequest, asked: string | undefined) => {
    const today = todayInEngland();
    const years = await financialYears(db(), orgOf(request).id, today);
    const year = years.find((y) => String(y) === asked) ?? financialYearOfDate(today);
    return { year, years };
  };

  const rollupFor = async (organisationId: string, year: number) => {
    const rows = await socialValueRollup(db(), organisationId, financialYearPeriod(year));
    const names = await placeNames(db(), organisationId, rows.map((r) => r.area));
    return { rows, names };
  };

  app.get('/organisations/:slug/community-wealth/social-value', { config: read, schema: { params: orgParams, querystring: yearQuery } }, async (request, reply) => {
    const org = orgOf(request);
    const wealth = wealthContext(request, 'social-value');
    const { year, years } = await yearOf(request, request.query.year);
    const { rows, names } = await rollupFor(org.id, year);
    const list = await contractsOf(db(), org.id);
    const measures = await measuresOf(db(), org.id);
    return reply.page('community-wealth/views/social-value-list.njk', {
      pageTitle: `${org.name}: social value`,
      wealth,
      yearWords: financialYearWords(year),
      yearItems: years.map((y) => ({ value: String(y), text: financialYearWords(y), selected: y === year })),
      action: socialValuePath(org.slug),
      csvHref: `${socialValuePath(org.slug, '.csv')}?year=${year}`,
      measures: byMeasure(rows).map((m) => ({
        ...m,
        promisedText: amount(m.promised, m.unit),
        deliveredText: amount(m.delivered, m.unit),
        shareText: share(m.delivered, m.promised),
        promisedValueText: m.promisedValue === null ? null : pounds(m.promisedValue),
        deliveredValueText: m.deliveredValue === null ? null : pounds(m.deliveredValue),
      })),
      places: rows.map((r) => ({ place: names.get(r.area) ?? r.area, measure: r.measure, promisedText: amount(r.promised, r.unit), deliveredText: amount(r.delivered, r.unit), shareText: share(r.delivered, r.promised) })),
      definedMeasures: measures.map((m) => ({ ...m, proxyText: m.proxyValue === null ? null : pounds(m.proxyValue) })),
      contracts: list.map((c) => ({
        ...c,
        href: contractPath(org.slug, c.id),
        datesText: `${longDate(c.startsOn)} to ${longDate(c.endsOn)}`,
        valueText: c.valuePence === null ? 'Not given' : money(c.valuePence),
        promisesText: c.promises.map((p) => `${amount(p.promised, p.unit)} (${p.measure})`),
      })),
      newMeasureHref: wealth.canEdit ? socialValuePath(org.slug, '/measures/new') : null,
      newContractHref: wealth.canEdit ? socialValuePath(org.slug, '/contracts/new') : null,
    });
  });

  app.get('/organisations/:slug/community-wealth/social-value.csv', { config: read, schema: { params: orgParams, querystring: yearQuery } }, async (request, reply) => {
    const org = orgOf(request);
    const { year } = await yearOf(request, request.query.year);
    const { rows, names } = await rollupFor(org.id, year);
    const figure = (n: number | null) => (n === null ? '' : String(Math.round(n * 100) / 100));
    const body = spreadsheetCsv(
      ['financial_year', 'measure', 'unit', 'place', 'place_code', 'promised', 'delivered', 'promised_value_gbp', 'delivered_value_gbp', 'proxy_source'],
      rows.map((r) => [financialYearWords(year), r.measure, r.unit, names.get(r.area) ?? r.area, r.area, figure(r.promised), figure(r.delivered), figure(r.promisedValue), figure(r.deliveredValue), r.proxySource ?? '']),
    );
    return sendCsv(reply, `${org.slug}-social-value-${year}-${year + 1}.csv`, body);
  });

  // ---- Measures -----------------------------------------------------------------------------------------------------

  const renderMeasureForm = (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const org = orgOf(request);
    return reply.page(
      'community-wealth/views/social-value-measure-form.njk',
      { pageTitle: `${org.name}: add a social value measure`, wealth: wealthContext(request, 'social-value'), values, errors, action: socialValuePath(org.slug, '/measures/new'), backHref: socialValuePath(org.slug) },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/community-wealth/social-value/measures/new', { config: write, schema: { params: orgParams } }, async (request, reply) => renderMeasureForm(request, reply, {}));

  app.post('/organisations/:slug/community-wealth/social-value/measures/new', { config: write, schema: { params: orgParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const checked = readMeasureForm(form);
    if (!checked.ok) return renderMeasureForm(request, reply, form, checked.errors);
    const org = orgOf(request);
    await addMeasure(db(), org.id, checked.input, actorOf(request));
    return reply.flash(`Measure “${checked.input.name}” added`).redirect(socialValuePath(org.slug), 303);
  });

  // ---- Contracts ----------------------------------------------------------------------------------------------------

  const contractChoices = async (organisationId: string) => {
    const [supplierList, measures, places] = [await supplierChoices(db(), organisationId), await measuresOf(db(), organisationId), await placeChoices(db(), organisationId)];
    return { supplierList, measures, places };
  };

  const renderContractForm = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const org = orgOf(request);
    const { supplierList, measures, places } = await contractChoices(org.id);
    const selected = (items: { value: string; text: string }[], value: string) => items.map((i) => ({ ...i, selected: i.value === value }));
    return reply.page(
      'community-wealth/views/social-value-contract-form.njk',
      {
        pageTitle: `${org.name}: add a contract`,
        wealth: wealthContext(request, 'social-value'),
        values,
        errors,
        supplierItems: selected([{ value: '', text: 'None' }, ...supplierList.map((s) => ({ value: s.id, text: s.name }))], text(values, 'supplierId')),
        hasMeasures: measures.length > 0,
        promises: Array.from({ length: promiseRows }, (_, n) => {
          const i = n + 1;
          return {
            i,
            measureItems: selected([{ value: '', text: 'No promise' }, ...measures.map((m) => ({ value: m.id, text: `${m.name} (${m.unit})` }))], text(values, `measure-${i}`)),
            whereItems: selected(places, text(values, `where-${i}`)),
          };
        }),
        newMeasureHref: socialValuePath(org.slug, '/measures/new'),
        action: socialValuePath(org.slug, '/contracts/new'),
        backHref: socialValuePath(org.slug),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/community-wealth/social-value/contracts/new', { config: write, schema: { params: orgParams } }, async (request, reply) => renderContractForm(request, reply, {}));

  app.post('/organisations/:slug/community-wealth/social-value/contracts/new', { config: write, schema: { params: orgParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const org = orgOf(request);
    const { supplierList, measures, places } = await contractChoices(org.id);
    const checked = readContractForm(form, { supplierIds: new Set(supplierList.map((s) => s.id)), measureIds: new Set(measures.map((m) => m.id)), places: new Set(places.map((p) => p.value)) });
    if (!checked.ok) return renderContractForm(request, reply, form, checked.errors);
    let id: string;
    try {
      id = await addContract(db(), org.id, checked.input.contract, checked.input.promises, actorOf(request));
    } catch (error) {
      if (!(error instanceof SocialValueError)) throw error;
      const { errors, fail } = formProblems();
      fail('title', error.message);
      return renderContractForm(request, reply, form, errors);
    }
    return reply.flash(`Contract “${checked.input.contract.title}” added`).redirect(contractPath(org.slug, id), 303);
  });

  // ---- A contract and its deliveries ------------------------------------------------------------------------------

  const contractFrom = (request: FastifyRequest) => {
    const { contractId } = request.params as { contractId: string };
    return isUuid(contractId) ? contractOf(db(), orgOf(request).id, contractId) : Promise.resolve(null);
  };

  const renderContract = async (request: FastifyRequest, reply: FastifyReply, found: NonNullable<Awaited<ReturnType<typeof contractOf>>>, values: Form = {}, errors?: FormErrors) => {
    const org = orgOf(request);
    const wealth = wealthContext(request, 'social-value');
    const names = await placeNames(db(), org.id, found.commitments.map((c) => c.area));
    const { contract } = found;
    const commitmentText = (c: CommitmentRow) => `${c.measure}, ${names.get(c.area) ?? c.area}`;
    return reply.page(
      'community-wealth/views/social-value-contract.njk',
      {
        pageTitle: `${contract.title}: social value`,
        wealth,
        contract: { ...contract, supplier: contract.supplier ?? 'Not given', datesText: `${longDate(contract.startsOn)} to ${longDate(contract.endsOn)}`, valueText: contract.valuePence === null ? 'Not given' : money(contract.valuePence) },
        commitments: found.commitments.map((c) => ({
          ...c,
          label: commitmentText(c),
          place: names.get(c.area) ?? c.area,
          promisedText: amount(c.promised, c.unit),
          deliveredText: amount(c.delivered, c.unit),
          shareText: share(c.delivered, c.promised),
          prefix: prefixOf(c.id),
        })),
        deliveries: found.deliveries.map((d) => {
          const c = found.commitments.find((x) => x.id === d.commitmentId)!;
          return { ...d, dateText: longDate(d.deliveredOn), commitment: commitmentText(c), quantityText: amount(d.quantity, c.unit), recordedBy: d.recordedBy ?? 'Not known' };
        }),
        values,
        errors,
        deliveryAction: contractPath(org.slug, contract.id, '/deliveries'),
        backHref: socialValuePath(org.slug),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/community-wealth/social-value/contracts/:contractId', { config: read, schema: { params: contractParams } }, async (request, reply) => {
    const found = await contractFrom(request);
    if (!found) return reply.callNotFound();
    return renderContract(request, reply, found);
  });

  app.post('/organisations/:slug/community-wealth/social-value/contracts/:contractId/deliveries', { config: write, schema: { params: contractParams, body: formBody } }, async (request, reply) => {
    const found = await contractFrom(request);
    if (!found) return reply.callNotFound();
    const form = request.body as Form;
    const commitmentId = text(form, 'commitmentId');
    const commitment = found.commitments.find((c) => c.id === commitmentId);
    if (!commitment) {
      // An empty form names no commitment: say so, rather than pretend a page is missing.
      if (!commitmentId) {
        const first = found.commitments[0];
        const message = first ? 'Record a delivery with the form below the promise it was for' : 'This contract promised no social value, so there is nothing to record a delivery against';
        const errors: FormErrors = { summary: [{ text: message, href: first ? `#${prefixOf(first.id)}deliveredOn-day` : '#commitments' }], fields: {} };
        return renderContract(request, reply, found, form, errors);
      }
      return reply.callNotFound();
    }
    const p = prefixOf(commitment.id);
    const { errors, fail } = formProblems();
    const deliveredOn = pastDate(form, `${p}deliveredOn`, 'it was delivered', todayInEngland(), fail);
    const quantity = parseNumber(text(form, `${p}quantity`));
    if (quantity === null) fail(`${p}quantity`, `Enter how much was delivered, in ${commitment.unit}`);
    else if (quantity === 'invalid') fail(`${p}quantity`, 'Enter how much was delivered as a number, like 3');
    else if (quantity < 0) fail(`${p}quantity`, 'What was delivered must be 0 or more');
    const evidence = text(form, `${p}evidence`).trim();
    if (!evidence) fail(`${p}evidence`, 'Enter what shows it was delivered, like payroll records or a volunteer log');
    else if (evidence.length > 2000) fail(`${p}evidence`, 'The evidence must be 2,000 characters or fewer');
    if (errors.summary.length || !deliveredOn || typeof quantity !== 'number') return renderContract(request, reply, found, form, linkDateErrors(errors, [`${p}deliveredOn`]));
    await recordDelivery(db(), orgOf(request).id, commitment.id, { deliveredOn, quantity, evidence }, actorOf(request));
    return reply.flash(`Delivery of ${amount(quantity, commitment.unit)} recorded`).redirect(contractPath(orgOf(request).slug, found.contract.id), 303);
  });
};

