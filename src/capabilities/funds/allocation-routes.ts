import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, roleAtLeast } from '../../platform/auth/permissions.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { boundWords, createScenario, districtsWithWards, getScenario, measureLabel, measuresAvailable, methodText, needText, scenarioCsv, ScenarioError, scenariosOf } from './allocation.ts';
import { formatPence, parsePounds } from './money.ts';
import { formBody, isUuid, orgParams, text, type Form } from './web.ts';

/**
 * Allocation by need: an organisation's saved scenarios, a form for a new one (saved at once and shown: a scenario
 * is cheap to make again, so there is no separate preview), a scenario's page with every ward's line beside the
 * equal split, and its CSV. Viewers see them; members make them.
 */

const scenarioParams = z.object({ slug: z.string().max(100), scenarioId: z.string().max(100) });
const listPath = (slug: string) => `/organisations/${slug}/allocations`;

/** Pounds typed into a form field, or null when left empty (optional fields); a ScenarioError names the field. */
function poundsField(form: Form, field: 'budget' | 'floor' | 'cap', what: string, optional: boolean): number | null {
  const typed = text(form, field).trim();
  if (!typed) {
    if (optional) return null;
    throw new ScenarioError(`Enter the ${what}`, field);
  }
  const parsed = parsePounds(typed);
  if ('error' in parsed) throw new ScenarioError(`${what[0]!.toUpperCase()}${what.slice(1)}: ${parsed.error}`, field);
  if (parsed.pence % 100 !== 0) throw new ScenarioError(`The ${what} must be in whole pounds, without pence`, field);
  return parsed.pence;
}

export const allocationRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const canCreate = (request: FastifyRequest) => Boolean(request.user?.isSiteAdmin) || roleAtLeast(request.organisation?.role, 'member');

  app.get('/organisations/:slug/allocations', { config: { access: access.organisation('viewer') }, schema: { params: orgParams } }, async (request, reply) => {
    const org = request.organisation!;
    const scenarios = await scenariosOf(db(), org.id);
    return reply.page('funds/views/allocation-list.njk', {
      pageTitle: `${org.name}: allocation by need`,
      org,
      canCreate: canCreate(request),
      scenarios: scenarios.map((s) => ({
        name: s.name,
        sample: s.sample && !s.name.includes('(sample data)'),
        href: `${listPath(org.slug)}/${s.id}`,
        budget: formatPence(s.budgetPence),
        areas: `${s.areas} wards of ${s.districtName ?? s.districtCode ?? 'a district'}`,
        measure: `${measureLabel(s.measureId)}${s.timesPopulation ? ' × population' : ''}`,
        created: s.createdAt.toISOString().slice(0, 10),
      })),
    });
  });

  const renderNew = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const org = request.organisation!;
    const [districts, measures] = await Promise.all([districtsWithWards(db()), measuresAvailable(db())]);
    const district = text(values, 'district');
    const measure = text(values, 'measure');
    return reply.page(
      'funds/views/allocation-new.njk',
      {
        pageTitle: `New allocation scenario: ${org.name}`,
        org,
        values,
        errors,
        backHref: listPath(org.slug),
        ready: districts.length > 0 && measures.length > 0,
        districtItems: [{ value: '', text: 'Choose a district', selected: !district }, ...districts.map((d) => ({ value: d.code, text: `${d.name} (${d.code})`, selected: d.code === district }))],
        measureItems: measures.map((m) => ({ value: m.id, text: m.label[0]!.toUpperCase() + m.label.slice(1), checked: m.id === measure })),
        timesPopulationChecked: text(values, 'timesPopulation') === 'yes',
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/allocations/new', { config: { access: access.organisation('member') }, schema: { params: orgParams } }, async (request, reply) => renderNew(request, reply, {}));

  app.post('/organisations/:slug/allocations/new', { config: { access: access.organisation('member') }, schema: { params: orgParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const org = request.organisation!;
    let id: string;
    try {
      id = await createScenario(
        db(),
        {
          organisationId: org.id,
          name: text(form, 'name'),
          budgetPence: poundsField(form, 'budget', 'budget', false),
          districtCode: text(form, 'district').trim(),
          measureId: text(form, 'measure'),
          timesPopulation: text(form, 'timesPopulation') === 'yes',
          floorPence: poundsField(form, 'floor', 'floor', true),
          capPence: poundsField(form, 'cap', 'cap', true),
          createdBy: request.user?.id ?? null,
        },
        actorOf(request),
      );
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      // The measure is a set of radios: the summary links to the first one.
      const href = error.field === 'measure' ? '#measure' : `#${error.field}`;
      return renderNew(request, reply, form, { summary: [{ text: error.message, href }], fields: { [error.field]: { text: error.message } } });
    }
    return reply.flash(`Scenario saved: ${text(form, 'name').trim()}`).redirect(`${listPath(org.slug)}/${id}`, 303);
  });

  // One route for the page and its CSV ("<id>.csv"), so the two can never disagree on who may see them.
  app.get('/organisations/:slug/allocations/:scenarioId', { config: { access: access.organisation('viewer') }, schema: { params: scenarioParams } }, async (request, reply) => {
    const org = request.organisation!;
    const raw = request.params.scenarioId;
    const csv = raw.endsWith('.csv');
    const id = csv ? raw.slice(0, -4) : raw;
    if (!isUuid(id)) return reply.callNotFound();
    const found = await getScenario(db(), org.id, id);
    if (!found) return reply.callNotFound();
    const { scenario, lines, districtName } = found;
    if (csv)
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="allocation-${scenario.id}.csv"`)
        .header('cache-control', 'private, no-store')
        .send(scenarioCsv(scenario, lines, districtName));
    const sum = (f: (l: (typeof lines)[number]) => number) => lines.reduce((s, l) => s + f(l), 0);
    const totalPopulation = lines.every((l) => l.population !== null) ? sum((l) => l.population!) : null;
    return reply.page('funds/views/allocation-show.njk', {
      pageTitle: scenario.name,
      org,
      scenario,
      sample: scenario.sample && !scenario.name.includes('(sample data)'),
      backHref: listPath(org.slug),
      csvHref: `${listPath(org.slug)}/${scenario.id}.csv`,
      method: methodText(scenario, lines.length, districtName),
      needLabel: measureLabel(scenario.measureId),
      lines: lines.map((l) => ({
        code: l.areaCode,
        name: l.areaName,
        need: needText(l.need, scenario.measureId),
        population: l.population === null ? '' : Math.round(l.population).toLocaleString('en-GB'),
        weight: l.weight.toLocaleString('en-GB', { maximumFractionDigits: 2 }),
        amount: formatPence(l.amountPence),
        equal: formatPence(l.equalPence),
        difference: (l.amountPence > l.equalPence ? '+' : '') + formatPence(l.amountPence - l.equalPence),
        bound: l.bound ? boundWords[l.bound] : '',
      })),
      totals: {
        population: totalPopulation === null ? '' : Math.round(totalPopulation).toLocaleString('en-GB'),
        amount: formatPence(sum((l) => l.amountPence)),
        equal: formatPence(sum((l) => l.equalPence)),
        difference: formatPence(sum((l) => l.amountPence - l.equalPence)),
      },
      floors: lines.filter((l) => l.bound === 'floor').length,
      caps: lines.filter((l) => l.bound === 'cap').length,
    });
  });
};
