import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, roleAtLeast } from '../../platform/auth/permissions.ts';
import { todayInEngland } from '../../platform/web/dates.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { sendCsv } from '../indicators/routes.ts';
import { createProxy, deleteProxy, proxiesCsv, proxiesOfOrganisation, proxyOfOrganisation, readProxyForm, updateProxy, type ProxyView } from './proxies.ts';
import { formBody, orgParams, pounds, proxiesPath, type Form } from './web.ts';

/**
 * An organisation's library of financial proxies for SROI models. Its members read it (and download it); members
 * add and change values, each with its source. Patchwork supplies no values of its own.
 */

const proxyParams = orgParams.extend({ proxyId: z.string().max(100) });
const read = { access: access.organisation('viewer') };
const write = { access: access.organisation('member') };

const thisYear = () => Number(todayInEngland().slice(0, 4));

export const proxyRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  const canEdit = (request: FastifyRequest) => Boolean(request.user?.isSiteAdmin) || roleAtLeast(request.organisation?.role, 'member');
  const proxyFrom = (request: FastifyRequest) => proxyOfOrganisation(db(), request.organisation!.id, (request.params as { proxyId: string }).proxyId);

  app.get('/organisations/:slug/sroi-proxies', { config: read, schema: { params: orgParams } }, async (request, reply) => {
    const org = request.organisation!;
    const proxies = await proxiesOfOrganisation(db(), org.id);
    const editable = canEdit(request);
    return reply.page('impact/views/proxy-list.njk', {
      pageTitle: `${org.name}: financial proxies`,
      org,
      proxies: proxies.map((p) => ({ ...p, valueText: pounds(p.value), editHref: editable ? proxiesPath(org.slug, `/${p.id}/edit`) : null, deleteHref: editable ? proxiesPath(org.slug, `/${p.id}/delete`) : null })),
      newHref: editable ? proxiesPath(org.slug, '/new') : null,
      csvHref: proxiesPath(org.slug, '.csv'),
      backHref: `/organisations/${org.slug}`,
    });
  });

  app.get('/organisations/:slug/sroi-proxies.csv', { config: read, schema: { params: orgParams } }, async (request, reply) => {
    const org = request.organisation!;
    return sendCsv(reply, `${org.slug}-sroi-proxies.csv`, proxiesCsv(await proxiesOfOrganisation(db(), org.id)));
  });

  const renderForm = (request: FastifyRequest, reply: FastifyReply, values: Form, errors: FormErrors | undefined, proxy: ProxyView | null) => {
    const org = request.organisation!;
    return reply.page(
      'impact/views/proxy-form.njk',
      {
        pageTitle: proxy ? `Edit the financial proxy “${proxy.name}”` : `${org.name}: add a financial proxy`,
        org,
        proxy,
        values,
        errors,
        thisYear: thisYear(),
        action: proxy ? proxiesPath(org.slug, `/${proxy.id}/edit`) : proxiesPath(org.slug, '/new'),
        backHref: proxiesPath(org.slug),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/sroi-proxies/new', { config: write, schema: { params: orgParams } }, async (request, reply) => renderForm(request, reply, { unit: 'per person per year' }, undefined, null));

  app.post('/organisations/:slug/sroi-proxies/new', { config: write, schema: { params: orgParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const checked = readProxyForm(form, thisYear());
    if (!checked.ok) return renderForm(request, reply, form, checked.errors, null);
    const org = request.organisation!;
    await createProxy(db(), org.id, checked.input, actorOf(request));
    return reply.flash(`Financial proxy “${checked.input.name}” added`).redirect(proxiesPath(org.slug), 303);
  });

  app.get('/organisations/:slug/sroi-proxies/:proxyId/edit', { config: write, schema: { params: proxyParams } }, async (request, reply) => {
    const proxy = await proxyFrom(request);
    if (!proxy) return reply.callNotFound();
    const values: Form = { name: proxy.name, value: String(proxy.value), unit: proxy.unit, source: proxy.source, sourceUrl: proxy.sourceUrl ?? '', priceYear: proxy.priceYear === null ? '' : String(proxy.priceYear) };
    return renderForm(request, reply, values, undefined, proxy);
  });

  app.post('/organisations/:slug/sroi-proxies/:proxyId/edit', { config: write, schema: { params: proxyParams, body: formBody } }, async (request, reply) => {
    const proxy = await proxyFrom(request);
    if (!proxy) return reply.callNotFound();
    const form = request.body as Form;
    const checked = readProxyForm(form, thisYear());
    if (!checked.ok) return renderForm(request, reply, form, checked.errors, proxy);
    const org = request.organisation!;
    if (!(await updateProxy(db(), org.id, proxy.id, checked.input, actorOf(request)))) return reply.callNotFound();
    const note = proxy.uses ? `. SROI models that already used it keep the value they copied` : '';
    return reply.flash(`Financial proxy “${checked.input.name}” saved${note}`).redirect(proxiesPath(org.slug), 303);
  });

  app.get('/organisations/:slug/sroi-proxies/:proxyId/delete', { config: write, schema: { params: proxyParams } }, async (request, reply) => {
    const proxy = await proxyFrom(request);
    if (!proxy) return reply.callNotFound();
    const org = request.organisation!;
    return reply.page('impact/views/proxy-delete.njk', {
      pageTitle: `Delete the financial proxy “${proxy.name}”?`,
      org,
      proxy: { ...proxy, valueText: pounds(proxy.value) },
      formAction: proxiesPath(org.slug, `/${proxy.id}/delete`),
      backHref: proxiesPath(org.slug),
    });
  });

  app.post('/organisations/:slug/sroi-proxies/:proxyId/delete', { config: write, schema: { params: proxyParams, body: formBody } }, async (request, reply) => {
    const proxy = await proxyFrom(request);
    if (!proxy) return reply.callNotFound();
    const org = request.organisation!;
    if (!(await deleteProxy(db(), org.id, proxy.id, actorOf(request)))) return reply.callNotFound();
    return reply.flash(`Financial proxy “${proxy.name}” deleted`).redirect(proxiesPath(org.slug), 303);
  });
};
