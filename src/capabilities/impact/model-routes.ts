import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access } from '../../platform/auth/permissions.ts';
import { spreadsheetCsv } from '../../platform/data/csv.ts';
import { fieldError, type FormErrors } from '../../platform/web/forms.ts';
import { sendCsv } from '../indicators/routes.ts';
import {
  addRow,
  agreedOutcomes,
  assumptions,
  createModel,
  formValuesOf,
  modelCsvColumns,
  modelCsvRows,
  modelOf,
  modelReport,
  modelsOf,
  newModelDefaults,
  readCostForm,
  readInputForm,
  readModelForm,
  readOutcomeForm,
  type Kept,
  removeRow,
  rowOf,
  updateModel,
  updateRow,
  type ModelReport,
  type ModelRow,
  type RowKind,
} from './models.ts';
import { proxiesForPartnership } from './proxies.ts';
import { formBody, impactContext, modelParams, modelPath, partnershipParams, plain, pounds, sroiPath, text, type Form } from './web.ts';

/**
 * SROI models: the list, starting one, the model page (headline, inputs, outcomes, value by year, sensitivity,
 * break-even, costs avoided) with forms to add rows, a page to change each row or the model's details, removal,
 * and the whole model as CSV.
 */


const rowParams = modelParams.extend({ rowId: modelParams.shape.modelId });
/** How each kind of row appears in paths, flash messages and audit. */
const kinds: Record<RowKind, { path: string; name: string; anchor: string }> = {
  input: { path: 'inputs', name: 'Input', anchor: 'inputs' },
  outcome: { path: 'outcomes', name: 'Outcome', anchor: 'outcomes' },
  cost: { path: 'costs', name: 'Cost avoided line', anchor: 'costs' },
};

export const modelRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const partnershipOf = (request: FastifyRequest) => request.partnership!.id;

  app.get('/partnerships/:partnershipId/impact/sroi', { config: { access: access.partnership('viewer') }, schema: { params: partnershipParams } }, async (request, reply) => {
    const impact = impactContext(request, 'sroi');
    const models = await modelsOf(db(), impact.partnershipId);
    return reply.page('impact/views/sroi-list.njk', {
      pageTitle: `${impact.partnershipName}: social return on investment`,
      impact,
      models: models.map((m) => ({ ...m, href: modelPath(impact.partnershipId, m.id), npvText: m.result ? pounds(m.result.netPresentValue) : '' })),
      newHref: impact.canEdit ? sroiPath(impact.partnershipId, '/new') : null,
    });
  });

  const renderNew = (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const impact = impactContext(request, 'sroi');
    return reply.page('impact/views/model-new.njk', { pageTitle: `${impact.partnershipName}: start an SROI model`, impact, values, errors, action: sroiPath(impact.partnershipId, '/new'), backHref: sroiPath(impact.partnershipId) }, errors ? 400 : 200);
  };

  app.get('/partnerships/:partnershipId/impact/sroi/new', { config: { access: access.partnership('member') }, schema: { params: partnershipParams } }, async (request, reply) => renderNew(request, reply, { ...newModelDefaults }));

  app.post('/partnerships/:partnershipId/impact/sroi/new', { config: { access: access.partnership('member') }, schema: { params: partnershipParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const read = readModelForm(form);
    if (!read.ok) return renderNew(request, reply, form, read.errors);
    const id = await createModel(db(), partnershipOf(request), read.value, actorOf(request));
    reply.flash('Model started: add its inputs and outcomes');
    return reply.redirect(modelPath(partnershipOf(request), id), 303);
  });

  /** The model page, from the same read model as the impact report; `failed` re-shows one add form with its problems. */
  const renderModel = async (request: FastifyRequest, reply: FastifyReply, report: ModelReport, failed?: { kind: RowKind; values: Form; errors: FormErrors }) => {
    const impact = impactContext(request, 'sroi');
    const p = impact.partnershipId;
    const href = modelPath(p, report.model.id);
    const forms = impact.canEdit ? await formOptions(p, failed?.kind === 'outcome' ? failed.values : {}) : null;
    return reply.page(
      'impact/views/model-show.njk',
      {
        pageTitle: `${report.model.title}: social return on investment`,
        impact,
        report,
        assumptions,
        href,
        csvHref: `${href}.csv`,
        editHref: `${href}/edit`,
        rowHref: (kind: RowKind, id: string) => `${href}/${kinds[kind].path}/${id}`,
        actions: { input: `${href}/inputs`, outcome: `${href}/outcomes`, cost: `${href}/costs` },
        values: { input: failed?.kind === 'input' ? failed.values : {}, outcome: failed?.kind === 'outcome' ? failed.values : {}, cost: failed?.kind === 'cost' ? failed.values : {} },
        errors: failed?.errors,
        failed: failed?.kind ?? null,
        money: pounds,
        plain,
        forms,
        backHref: sroiPath(p),
      },
      failed ? 400 : 200,
    );
  };

  /** The choices on the outcome form: the partnership's organisations' proxies and its agreed outcomes. */
  const formOptions = async (partnershipId: string, values: Form) => {
    const [proxies, outcomes] = await Promise.all([proxiesForPartnership(db(), partnershipId), agreedOutcomes(db(), partnershipId)]);
    const chosenProxy = text(values, 'proxyId');
    const chosenOutcome = text(values, 'outcomeId');
    return {
      proxyItems: [
        { value: '', text: 'None: I will type a value and its source', selected: !chosenProxy },
        ...proxies.map((x) => ({ value: x.id, text: `${x.name}: ${pounds(x.value)} ${x.unit} (${x.organisationName}; source: ${x.source})`, selected: x.id === chosenProxy })),
      ],
      hasProxies: proxies.length > 0,
      libraries: [...new Map(proxies.map((x) => [x.organisationId, x.organisationName])).values()],
      outcomeItems: [{ value: '', text: 'Not linked to an agreed outcome', selected: !chosenOutcome }, ...outcomes.map((o) => ({ value: o.id, text: o.title, selected: o.id === chosenOutcome }))],
    };
  };

  const reportOf = async (request: FastifyRequest) => {
    const { modelId } = request.params as { modelId: string };
    return modelReport(db(), partnershipOf(request), modelId);
  };
  const modelFor = async (request: FastifyRequest): Promise<ModelRow | null> => {
    const { modelId } = request.params as { modelId: string };
    return modelOf(db(), partnershipOf(request), modelId);
  };

  app.get('/partnerships/:partnershipId/impact/sroi/:modelId.csv', { config: { access: access.partnership('viewer') }, schema: { params: modelParams } }, async (request, reply) => {
    const report = await reportOf(request);
    if (!report) return reply.callNotFound();
    return sendCsv(reply.header('cache-control', 'private, no-store'), `sroi-model-${report.model.id.slice(0, 8)}.csv`, spreadsheetCsv(modelCsvColumns, modelCsvRows(report)));
  });

  app.get('/partnerships/:partnershipId/impact/sroi/:modelId', { config: { access: access.partnership('viewer') }, schema: { params: modelParams } }, async (request, reply) => {
    const report = await reportOf(request);
    if (!report) return reply.callNotFound();
    return renderModel(request, reply, report);
  });

  // The model's own details, changed only if nobody else has since the form was drawn.
  const renderEdit = (request: FastifyRequest, reply: FastifyReply, model: ModelRow, values: Form, errors?: FormErrors, status = 200) => {
    const impact = impactContext(request, 'sroi');
    const href = modelPath(impact.partnershipId, model.id);
    return reply.page('impact/views/model-edit.njk', { pageTitle: `Change ${model.title}`, impact, model, values, errors, action: `${href}/edit`, backHref: href }, errors ? status : 200);
  };

  app.get('/partnerships/:partnershipId/impact/sroi/:modelId/edit', { config: { access: access.partnership('member') }, schema: { params: modelParams } }, async (request, reply) => {
    const model = await modelFor(request);
    if (!model) return reply.callNotFound();
    return renderEdit(request, reply, model, { title: model.title, period: model.period, discountRate: String(model.discountRate), discountRateSource: model.discountRateSource, version: String(model.version) });
  });

  app.post('/partnerships/:partnershipId/impact/sroi/:modelId/edit', { config: { access: access.partnership('member') }, schema: { params: modelParams, body: formBody } }, async (request, reply) => {
    const model = await modelFor(request);
    if (!model) return reply.callNotFound();
    const form = request.body as Form;
    const version = Number(text(form, 'version'));
    if (!Number.isInteger(version) || version < 1) return renderEdit(request, reply, model, form, fieldError('title', 'The form was missing its version: reload the page and make your change again'), 400);
    const read = readModelForm(form);
    if (!read.ok) return renderEdit(request, reply, model, form, read.errors, 400);
    if ((await updateModel(db(), model, version, read.value, actorOf(request))) === 'conflict') {
      const current = (await modelFor(request))!;
      const message = 'Someone else changed this model while you were editing: the form shows what you typed; check the model and save again';
      return renderEdit(request, reply, current, { ...form, version: String(current.version) }, fieldError('title', message), 409);
    }
    reply.flash('Model details saved');
    return reply.redirect(modelPath(model.partnershipId, model.id), 303);
  });

  const readRow = async (kind: RowKind, partnershipId: string, form: Form, kept?: Kept) => (kind === 'input' ? readInputForm(form) : kind === 'cost' ? readCostForm(form) : readOutcomeForm(db(), partnershipId, form, kept));

  for (const kind of Object.keys(kinds) as RowKind[]) {
    const { path, name, anchor } = kinds[kind];

    app.post(`/partnerships/:partnershipId/impact/sroi/:modelId/${path}`, { config: { access: access.partnership('member') }, schema: { params: modelParams, body: formBody } }, async (request, reply) => {
      const model = await modelFor(request);
      if (!model) return reply.callNotFound();
      const form = request.body as Form;
      const read = await readRow(kind, model.partnershipId, form);
      if (!read.ok) return renderModel(request, reply, (await reportOf(request))!, { kind, values: form, errors: read.errors });
      await addRow(db(), model, kind, read.value as never, actorOf(request));
      reply.flash(`${name} added`);
      return reply.redirect(`${modelPath(model.partnershipId, model.id)}#${anchor}`, 303);
    });

    const renderRow = async (request: FastifyRequest, reply: FastifyReply, model: ModelRow, rowId: string, values: Form, errors?: FormErrors) => {
      const impact = impactContext(request, 'sroi');
      const href = modelPath(impact.partnershipId, model.id);
      return reply.page(
        'impact/views/model-row.njk',
        {
          pageTitle: `Change ${name.toLowerCase()}: ${model.title}`,
          impact,
          model,
          kind,
          name,
          assumptions,
          values,
          errors,
          forms: kind === 'outcome' ? await formOptions(impact.partnershipId, values) : null,
          action: `${href}/${path}/${rowId}`,
          removeAction: `${href}/${path}/${rowId}/remove`,
          backHref: `${href}#${anchor}`,
        },
        errors ? 400 : 200,
      );
    };

    app.get(`/partnerships/:partnershipId/impact/sroi/:modelId/${path}/:rowId`, { config: { access: access.partnership('member') }, schema: { params: rowParams } }, async (request, reply) => {
      const model = await modelFor(request);
      const row = model && (await rowOf(db(), model, kind, request.params.rowId));
      if (!model || !row) return reply.callNotFound();
      return renderRow(request, reply, model, row.id, formValuesOf(kind, row));
    });

    app.post(`/partnerships/:partnershipId/impact/sroi/:modelId/${path}/:rowId`, { config: { access: access.partnership('member') }, schema: { params: rowParams, body: formBody } }, async (request, reply) => {
      const model = await modelFor(request);
      const row = model && (await rowOf(db(), model, kind, request.params.rowId));
      if (!model || !row) return reply.callNotFound();
      const form = request.body as Form;
      // An outcome keeps the proxy value it was built with while the same library proxy stays chosen.
      const read = await readRow(kind, model.partnershipId, form, 'proxyId' in row ? (row as Kept) : undefined);
      if (!read.ok) return renderRow(request, reply, model, row.id, form, read.errors);
      await updateRow(db(), model, kind, row.id, read.value as never, actorOf(request));
      reply.flash(`${name} saved`);
      return reply.redirect(`${modelPath(model.partnershipId, model.id)}#${anchor}`, 303);
    });

    app.post(`/partnerships/:partnershipId/impact/sroi/:modelId/${path}/:rowId/remove`, { config: { access: access.partnership('member') }, schema: { params: rowParams, body: formBody } }, async (request, reply) => {
      const model = await modelFor(request);
      if (!model || !(await removeRow(db(), model, kind, request.params.rowId, actorOf(request)))) return reply.callNotFound();
      reply.flash(`${name} removed`);
      return reply.redirect(`${modelPath(model.partnershipId, model.id)}#${anchor}`, 303);
    });
  }
};
