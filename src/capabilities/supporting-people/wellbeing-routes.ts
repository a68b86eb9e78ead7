import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access } from '../../platform/auth/permissions.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { wellbeingOccasions } from './schema.ts';
import { swemwbsAnswers, swemwbsStatements } from './swemwbs.ts';
import { changesOf, insertWellbeing, measuresOf, occasionNames, ons4Questions, readWellbeingForm, swemwbsField } from './wellbeing.ts';
import { formBody, longDate, personOf, personParams, personPath, text, today, type Form } from './web.ts';

/**
 * A person's wellbeing measures (ONS4 and SWEMWBS) and how they have changed, and recording a new one. Who may
 * see or add them is decided by access.supportPerson, which also audits every read.
 */
export const wellbeingRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  app.get('/support/people/:personId/wellbeing', { config: { access: access.supportPerson('read') }, schema: { params: personParams } }, async (request, reply) => {
    const { person, record } = await personOf(request, 'wellbeing');
    const measures = await measuresOf(db(), person.id);
    const shown = (n: number | null, digits = 0) => (n === null ? 'Not asked' : n.toFixed(digits));
    return reply.page('supporting-people/views/wellbeing.njk', {
      pageTitle: "Wellbeing: supported person’s record",
      record,
      measures: measures.map((m) => ({
        date: longDate(m.measuredOn),
        occasion: occasionNames[m.occasion],
        lifeSatisfaction: shown(m.lifeSatisfaction),
        worthwhile: shown(m.worthwhile),
        happiness: shown(m.happiness),
        anxiety: shown(m.anxiety),
        swemwbsRaw: shown(m.swemwbsRaw),
        swemwbsMetric: shown(m.swemwbsMetric, 2),
      })),
      changes: changesOf(measures).map((c) => ({ text: c.text, period: `${longDate(c.from)} to ${longDate(c.to)}` })),
      newHref: record.canEdit ? personPath(person.id, '/wellbeing/new') : null,
    });
  });

  const renderNew = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const { person, record } = await personOf(request, 'wellbeing');
    const occasion = text(values, 'occasion');
    return reply.page(
      'supporting-people/views/wellbeing-new.njk',
      {
        pageTitle: "Record a wellbeing measure",
        record,
        values,
        errors,
        action: personPath(person.id, '/wellbeing/new'),
        backHref: personPath(person.id, '/wellbeing'),
        occasionItems: wellbeingOccasions.map((o) => ({ value: o, text: occasionNames[o], checked: o === occasion })),
        ons4: ons4Questions.map((q) => ({ id: q.key, question: q.question, value: text(values, q.key) })),
        swemwbs: swemwbsStatements.map((statement, i) => {
          const id = swemwbsField(i);
          const chosen = text(values, id);
          return { id, statement, items: [{ value: '', text: 'Not asked', selected: !chosen }, ...swemwbsAnswers.map((a) => ({ value: String(a.value), text: `${a.value} ${a.text}`, selected: String(a.value) === chosen }))] };
        }),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/support/people/:personId/wellbeing/new', { config: { access: access.supportPerson('write') }, schema: { params: personParams } }, async (request, reply) => renderNew(request, reply, {}));

  app.post('/support/people/:personId/wellbeing/new', { config: { access: access.supportPerson('write') }, schema: { params: personParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const read = readWellbeingForm(form, today());
    if (!read.ok) {
      if (read.errors.fields.measuredOn) read.errors.summary.find((s) => s.href === '#measuredOn')!.href = '#measuredOn-day';
      return renderNew(request, reply, form, read.errors);
    }
    const support = request.support!;
    await db().transaction((tx) => insertWellbeing(tx, support.personId, support.organisationId, read.value, actorOf(request)));
    return reply.flash('Wellbeing measure recorded').redirect(personPath(support.personId, '/wellbeing'), 303);
  });
};
