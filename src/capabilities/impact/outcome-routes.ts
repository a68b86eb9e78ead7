import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, viewerOf } from '../../platform/auth/permissions.ts';
import { dateBoxes, todayInEngland } from '../../platform/web/dates.ts';
import { fieldError, type FormErrors } from '../../platform/web/forms.ts';
import { LinkedSourceError, linkedChoices, linkedSeries, refKey, type LinkedChoice } from './linked-sources.ts';
import {
  addMeasurement,
  cadenceNames,
  createMeasure,
  createOutcome,
  deleteMeasurement,
  directionNames,
  editMeasure,
  editOutcome,
  measureOf,
  measureSourceNames,
  outcomeOf,
  outcomeProgress,
  readMeasureForm,
  readMeasurementForm,
  readOutcomeForm,
  storeLinkedPoints,
  type MeasureRow,
  type OutcomeRow,
} from './outcomes.ts';
import { progressChartSvg } from './progress-chart.ts';
import { measureCadences, measureDirections, measureSources, type MeasureSource } from './schema.ts';
import { storiesFor } from './stories.ts';
import { formBody, impactContext, impactPath, isUuid, measureParams, outcomeParams, outcomePath, partnershipParams, storiesPath, text, type Form } from './web.ts';

/**
 * The outcomes framework pages: the list of outcomes (the landing page of a partnership's impact), each outcome
 * with its measures' charts, tables and stories, and the forms that agree outcomes, set up measures and record
 * values, by hand or from Patchwork's own data.
 */

const measurementParams = measureParams.extend({ measurementId: z.string().max(100) });
type LinkedSource = Exclude<MeasureSource, 'manual'>;
const isLinked = (s: string): s is LinkedSource => s !== 'manual' && (measureSources as readonly string[]).includes(s);

/** Why there may be nothing to link to, so the page can say so rather than show an empty list. */
const noChoicesReason: Record<LinkedSource, string> = {
  indicator: 'Patchwork has no Indices of Deprivation figures for this partnership’s areas. Add the areas the partnership covers, or enter values by hand.',
  'local-indicator': 'There is no local data you can see for this partnership’s areas yet.',
  voice: 'There are no community voice results for this partnership you can use yet.',
  support: 'There are no counts of people supported that this partnership can use yet.',
  'social-value': 'None of the partnership’s organisations has set up social value measures for its contracts yet.',
};


/** A measurement's form fields carry the measure's id, so each measure's form on the outcome page is distinct. */
const prefixOf = (measureId: string) => `m${measureId.slice(0, 8)}-`;

const conflictMessage = 'Someone else changed this outcome while you were editing: here is what it says now; make your change again';

export const outcomeRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const pid = (request: FastifyRequest) => request.partnership!.id;

  const outcomeFrom = async (request: FastifyRequest): Promise<OutcomeRow | null> => {
    const { outcomeId } = request.params as { outcomeId: string };
    return isUuid(outcomeId) ? outcomeOf(db(), pid(request), outcomeId) : null;
  };
  const measureFrom = async (request: FastifyRequest): Promise<{ outcome: OutcomeRow; measure: MeasureRow } | null> => {
    const outcome = await outcomeFrom(request);
    const { measureId } = request.params as { measureId: string };
    if (!outcome || !isUuid(measureId)) return null;
    const measure = await measureOf(db(), outcome.id, measureId);
    return measure ? { outcome, measure } : null;
  };

  // ---- The framework --------------------------------------------------------------------------------------------

  app.get('/partnerships/:partnershipId/impact', { config: { access: access.partnership('viewer') }, schema: { params: partnershipParams } }, async (request, reply) => {
    const impact = impactContext(request, 'outcomes');
    const outcomes = await outcomeProgress(db(), pid(request));
    return reply.page('impact/views/outcome-list.njk', {
      pageTitle: `${impact.partnershipName}: outcomes`,
      impact,
      outcomes: outcomes.map((o) => ({ ...o, href: outcomePath(pid(request), o.id) })),
      newHref: impactPath(pid(request), '/outcomes/new'),
    });
  });

  // ---- Outcomes ---------------------------------------------------------------------------------------------------

  const renderOutcomeForm = (request: FastifyRequest, reply: FastifyReply, outcome: OutcomeRow | null, values: Form, errors?: FormErrors, status = 200) => {
    const impact = impactContext(request, 'outcomes');
    return reply.page(
      'impact/views/outcome-form.njk',
      {
        pageTitle: outcome ? `Change ${outcome.title}` : `${impact.partnershipName}: add an outcome`,
        impact,
        outcome,
        values,
        errors,
        action: outcome ? outcomePath(pid(request), outcome.id, '/edit') : impactPath(pid(request), '/outcomes/new'),
        backHref: outcome ? outcomePath(pid(request), outcome.id) : impactPath(pid(request)),
      },
      status,
    );
  };
  const valuesOfOutcome = (o: OutcomeRow): Form => ({ title: o.title, description: o.description ?? '', agreedWith: o.agreedWith, version: String(o.version), ...dateBoxes('agreedOn', o.agreedOn) });

  app.get('/partnerships/:partnershipId/impact/outcomes/new', { config: { access: access.partnership('member') }, schema: { params: partnershipParams } }, async (request, reply) => renderOutcomeForm(request, reply, null, {}));

  app.post('/partnerships/:partnershipId/impact/outcomes/new', { config: { access: access.partnership('member') }, schema: { params: partnershipParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const read = readOutcomeForm(form);
    if (!read.ok) return renderOutcomeForm(request, reply, null, form, read.errors, 400);
    const id = await createOutcome(db(), pid(request), read.input, actorOf(request));
    reply.flash('Outcome added: now add the measures that will show progress');
    return reply.redirect(outcomePath(pid(request), id), 303);
  });

  app.get('/partnerships/:partnershipId/impact/outcomes/:outcomeId/edit', { config: { access: access.partnership('member') }, schema: { params: outcomeParams } }, async (request, reply) => {
    const outcome = await outcomeFrom(request);
    if (!outcome) return reply.callNotFound();
    return renderOutcomeForm(request, reply, outcome, valuesOfOutcome(outcome));
  });

  app.post('/partnerships/:partnershipId/impact/outcomes/:outcomeId/edit', { config: { access: access.partnership('member') }, schema: { params: outcomeParams, body: formBody } }, async (request, reply) => {
    const outcome = await outcomeFrom(request);
    if (!outcome) return reply.callNotFound();
    const form = request.body as Form;
    const read = readOutcomeForm(form);
    if (!read.ok) return renderOutcomeForm(request, reply, outcome, form, read.errors, 400);
    const version = Number(text(form, 'version'));
    const saved = await editOutcome(db(), pid(request), outcome.id, Number.isInteger(version) ? version : -1, read.input, actorOf(request));
    if (saved === 'conflict') {
      // Show what it says now, with the version now current, so the person can make their change again.
      const now = (await outcomeFrom(request))!;
      return renderOutcomeForm(request, reply, now, valuesOfOutcome(now), { summary: [{ text: conflictMessage, href: '#title' }], fields: {} }, 409);
    }
    reply.flash('Outcome changed');
    return reply.redirect(outcomePath(pid(request), outcome.id), 303);
  });

  // ---- One outcome: measures, progress and stories ------------------------------------------------------------------

  const renderOutcome = async (request: FastifyRequest, reply: FastifyReply, outcome: OutcomeRow, values: Form = {}, errors?: FormErrors, status = 200) => {
    const impact = impactContext(request, 'outcomes');
    const p = pid(request);
    const [progress] = await outcomeProgress(db(), p, outcome.id);
    const stories = await storiesFor(db(), { outcomeId: outcome.id, publishedOnly: false });
    const measures = (progress?.measures ?? []).map((m, i) => ({
      ...m,
      anchor: `measure-${i + 1}`,
      prefix: prefixOf(m.id),
      linked: m.source !== 'manual',
      sourceName: measureSourceNames[m.source],
      directionName: directionNames[m.direction],
      cadenceName: cadenceNames[m.cadence],
      chart: progressChartSvg({ id: `chart-${i + 1}`, title: `${m.name}: values over time`, unit: m.unit, points: m.measurements, baseline: m.baseline, target: m.target }),
      editHref: outcomePath(p, outcome.id, `/measures/${m.id}/edit`),
      measurementAction: outcomePath(p, outcome.id, `/measures/${m.id}/measurements`),
      refreshAction: outcomePath(p, outcome.id, `/measures/${m.id}/refresh`),
      measurements: m.measurements.map((v) => ({ ...v, deleteAction: outcomePath(p, outcome.id, `/measures/${m.id}/measurements/${v.id}/delete`) })),
    }));
    return reply.page(
      'impact/views/outcome-show.njk',
      {
        pageTitle: `${outcome.title}: ${impact.partnershipName}`,
        impact,
        outcome,
        measures,
        stories,
        values,
        errors,
        today: todayInEngland(),
        editHref: outcomePath(p, outcome.id, '/edit'),
        newMeasureHref: outcomePath(p, outcome.id, '/measures/new'),
        newStoryHref: storiesPath(p, '/new'),
        backHref: impactPath(p),
      },
      status,
    );
  };

  app.get('/partnerships/:partnershipId/impact/outcomes/:outcomeId', { config: { access: access.partnership('viewer') }, schema: { params: outcomeParams } }, async (request, reply) => {
    const outcome = await outcomeFrom(request);
    if (!outcome) return reply.callNotFound();
    return renderOutcome(request, reply, outcome);
  });

  // ---- Measures ---------------------------------------------------------------------------------------------------

  const choicesFor = async (request: FastifyRequest, source: LinkedSource) => linkedChoices(db(), await viewerOf(db(), request.user), pid(request), source);

  const renderMeasureForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    outcome: OutcomeRow,
    form: { source: MeasureSource | null; measure: MeasureRow | null; choices: LinkedChoice[] },
    values: Form,
    errors?: FormErrors,
    status = 200,
  ) => {
    const impact = impactContext(request, 'outcomes');
    const p = pid(request);
    const chosen = text(values, 'choice');
    const onlyOne = form.choices.length === 1 ? refKey(form.choices[0]!.ref) : '';
    const direction = text(values, 'direction');
    const cadence = text(values, 'cadence');
    return reply.page(
      form.source ? 'impact/views/measure-form.njk' : 'impact/views/measure-source.njk',
      {
        pageTitle: form.measure ? `Change ${form.measure.name}` : `${outcome.title}: add a measure`,
        impact,
        outcome,
        measure: form.measure,
        source: form.source,
        sourceName: form.source ? measureSourceNames[form.source] : null,
        linked: form.source ? form.source !== 'manual' : false,
        noChoices: form.source && isLinked(form.source) && !form.choices.length && !form.measure ? noChoicesReason[form.source] : null,
        sourceItems: measureSources.map((s) => ({ value: s, text: measureSourceNames[s], checked: s === text(values, 'source') })),
        // Many choices share a source: it is said once below the list rather than under every one.
        choiceSources: [...new Set(form.choices.map((c) => c.sourceNote))],
        choiceItems: form.choices.map((c) => ({ value: refKey(c.ref), text: c.label, hint: { text: `${c.group ? `${c.group}. ` : ''}In ${c.unit}` }, checked: refKey(c.ref) === (chosen || onlyOne) })),
        directionItems: measureDirections.map((d) => ({ value: d, text: directionNames[d], checked: d === direction })),
        cadenceItems: measureCadences.map((c) => ({ value: c, text: cadenceNames[c], checked: c === cadence })),
        values,
        errors,
        stepHref: outcomePath(p, outcome.id, '/measures/new'),
        manualHref: outcomePath(p, outcome.id, '/measures/new?source=manual'),
        action: form.measure ? outcomePath(p, outcome.id, `/measures/${form.measure.id}/edit`) : outcomePath(p, outcome.id, '/measures'),
        backHref: outcomePath(p, outcome.id),
      },
      status,
    );
  };

  app.get(
    '/partnerships/:partnershipId/impact/outcomes/:outcomeId/measures/new',
    { config: { access: access.partnership('member') }, schema: { params: outcomeParams, querystring: z.object({ source: z.string().max(50).optional() }) } },
    async (request, reply) => {
      const outcome = await outcomeFrom(request);
      if (!outcome) return reply.callNotFound();
      const asked = request.query.source;
      if (asked === undefined) return renderMeasureForm(request, reply, outcome, { source: null, measure: null, choices: [] }, {});
      if (!(measureSources as readonly string[]).includes(asked)) {
        const errors = fieldError('source', 'Choose where the values come from');
        return renderMeasureForm(request, reply, outcome, { source: null, measure: null, choices: [] }, {}, errors, 400);
      }
      const source = asked as MeasureSource;
      const choices = isLinked(source) ? await choicesFor(request, source) : [];
      return renderMeasureForm(request, reply, outcome, { source, measure: null, choices }, { source });
    },
  );

  app.post('/partnerships/:partnershipId/impact/outcomes/:outcomeId/measures', { config: { access: access.partnership('member') }, schema: { params: outcomeParams, body: formBody } }, async (request, reply) => {
    const outcome = await outcomeFrom(request);
    if (!outcome) return reply.callNotFound();
    const form = request.body as Form;
    const posted = text(form, 'source');
    if (!(measureSources as readonly string[]).includes(posted)) {
      const errors = fieldError('source', 'Choose where the values come from');
      return renderMeasureForm(request, reply, outcome, { source: null, measure: null, choices: [] }, form, errors, 400);
    }
    const source = posted as MeasureSource;
    const choices = isLinked(source) ? await choicesFor(request, source) : [];
    let choice: LinkedChoice | null = null;
    if (isLinked(source)) {
      // The posted ref is only a key: the measure takes the ref of the choice offered to this person now.
      choice = choices.find((c) => refKey(c.ref) === text(form, 'choice')) ?? null;
      if (!choice) {
        const message = choices.length ? 'Choose which of Patchwork’s figures this measure follows' : noChoicesReason[source];
        return renderMeasureForm(request, reply, outcome, { source, measure: null, choices }, form, fieldError('choice', message), 400);
      }
    }
    const read = readMeasureForm(form, choice);
    if (!read.ok) return renderMeasureForm(request, reply, outcome, { source, measure: null, choices }, form, read.errors, 400);
    const actor = actorOf(request);
    const id = await createMeasure(db(), pid(request), outcome.id, { ...read.input, source, sourceRef: choice?.ref ?? {} }, actor);
    let message = 'Measure added';
    if (choice) {
      // A linked measure shows its values from the start, rather than after someone thinks to update it.
      try {
        const series = await linkedSeries(db(), await viewerOf(db(), request.user), pid(request), choice.source, choice.ref, app.config.suppressionThreshold);
        const added = await storeLinkedPoints(db(), pid(request), id, series.points, actor);
        message = [`Measure added with ${added} ${added === 1 ? 'value' : 'values'} from Patchwork’s data`, ...series.notes].join('. ');
      } catch (error) {
        if (!(error instanceof LinkedSourceError)) throw error;
        message = `Measure added, but its values could not be read from Patchwork’s data: ${error.message}`;
      }
    }
    reply.flash(message);
    return reply.redirect(`${outcomePath(pid(request), outcome.id)}#measures`, 303);
  });

  const valuesOfMeasure = (m: MeasureRow): Form => ({
    name: m.name,
    unit: m.unit,
    baselineValue: m.baselineValue === null ? '' : String(m.baselineValue),
    targetValue: m.targetValue === null ? '' : String(m.targetValue),
    direction: m.direction,
    cadence: m.cadence,
    sourceNote: m.sourceNote,
    ...dateBoxes('baselineOn', m.baselineOn),
    ...dateBoxes('targetOn', m.targetOn),
  });

  app.get('/partnerships/:partnershipId/impact/outcomes/:outcomeId/measures/:measureId/edit', { config: { access: access.partnership('member') }, schema: { params: measureParams } }, async (request, reply) => {
    const found = await measureFrom(request);
    if (!found) return reply.callNotFound();
    return renderMeasureForm(request, reply, found.outcome, { source: found.measure.source, measure: found.measure, choices: [] }, valuesOfMeasure(found.measure));
  });

  app.post('/partnerships/:partnershipId/impact/outcomes/:outcomeId/measures/:measureId/edit', { config: { access: access.partnership('member') }, schema: { params: measureParams, body: formBody } }, async (request, reply) => {
    const found = await measureFrom(request);
    if (!found) return reply.callNotFound();
    const form = request.body as Form;
    const read = readMeasureForm(form, null);
    if (!read.ok) return renderMeasureForm(request, reply, found.outcome, { source: found.measure.source, measure: found.measure, choices: [] }, form, read.errors, 400);
    await editMeasure(db(), pid(request), found.measure.id, read.input, actorOf(request));
    reply.flash('Measure changed');
    return reply.redirect(`${outcomePath(pid(request), found.outcome.id)}#measures`, 303);
  });

  // ---- Measurements -----------------------------------------------------------------------------------------------

  app.post('/partnerships/:partnershipId/impact/outcomes/:outcomeId/measures/:measureId/measurements', { config: { access: access.partnership('member') }, schema: { params: measureParams, body: formBody } }, async (request, reply) => {
    const found = await measureFrom(request);
    if (!found) return reply.callNotFound();
    const form = request.body as Form;
    const prefix = prefixOf(found.measure.id);
    if (found.measure.source !== 'manual') {
      const message = 'This measure’s values come from Patchwork’s data: use “Update from Patchwork’s data” instead';
      return renderOutcome(request, reply, found.outcome, form, { summary: [{ text: message, href: `#refresh-${found.measure.id}` }], fields: {} }, 400);
    }
    const read = readMeasurementForm(form, prefix);
    if (!read.ok) return renderOutcome(request, reply, found.outcome, form, read.errors, 400);
    await addMeasurement(db(), pid(request), found.measure.id, read.input, actorOf(request));
    reply.flash(`Measurement added to ${found.measure.name}`);
    return reply.redirect(`${outcomePath(pid(request), found.outcome.id)}#measures`, 303);
  });

  app.post('/partnerships/:partnershipId/impact/outcomes/:outcomeId/measures/:measureId/measurements/:measurementId/delete', { config: { access: access.partnership('member') }, schema: { params: measurementParams, body: formBody } }, async (request, reply) => {
    const found = await measureFrom(request);
    const { measurementId } = request.params;
    if (!found || !isUuid(measurementId)) return reply.callNotFound();
    if (!(await deleteMeasurement(db(), pid(request), found.measure.id, measurementId, actorOf(request)))) return reply.callNotFound();
    reply.flash(`Measurement deleted from ${found.measure.name}`);
    return reply.redirect(`${outcomePath(pid(request), found.outcome.id)}#measures`, 303);
  });

  app.post('/partnerships/:partnershipId/impact/outcomes/:outcomeId/measures/:measureId/refresh', { config: { access: access.partnership('member') }, schema: { params: measureParams, body: formBody } }, async (request, reply) => {
    const found = await measureFrom(request);
    if (!found) return reply.callNotFound();
    const { measure } = found;
    if (!isLinked(measure.source)) return reply.callNotFound();
    let series: Awaited<ReturnType<typeof linkedSeries>>;
    try {
      series = await linkedSeries(db(), await viewerOf(db(), request.user), pid(request), measure.source, measure.sourceRef, app.config.suppressionThreshold);
    } catch (error) {
      // Someone who cannot see the figure it follows (another organisation's local data), or a figure no longer offered.
      if (!(error instanceof LinkedSourceError)) throw error;
      const message = `${measure.name} could not be updated from Patchwork’s data: ${error.message}`;
      return renderOutcome(request, reply, found.outcome, {}, { summary: [{ text: message, href: `#refresh-${measure.id}` }], fields: {} }, 400);
    }
    const added = await storeLinkedPoints(db(), pid(request), measure.id, series.points, actorOf(request));
    const headline = added ? `${added} new ${added === 1 ? 'value' : 'values'} added to ${measure.name} from Patchwork’s data` : `No new values for ${measure.name} in Patchwork’s data`;
    reply.flash([headline, ...series.notes].join('. '));
    return reply.redirect(`${outcomePath(pid(request), found.outcome.id)}#measures`, 303);
  });
};
