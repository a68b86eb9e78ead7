import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit } from '../../platform/audit/audit.ts';
import { access } from '../../platform/auth/permissions.ts';
import type { Tx } from '../../platform/db/database.ts';
import { fieldError, type FormErrors } from '../../platform/web/forms.ts';
import { connectionOf, connectionsOf, insertConnection, readConnectionForm, readOutcomeForm, searchLimit, serviceToConnect, servicesToConnect, setConnectionOutcome, type ConnectionRow } from './connections.ts';
import { paragraphsOf } from './conversations.ts';
import { dateBoxes } from '../../platform/web/dates.ts';
import { connectionOutcomeNames, connectionOutcomes } from './schema.ts';
import { formBody, longDate, personOf, personParams, personPath, text, today, type Form } from './web.ts';

/**
 * A person's connections to groups, places and services in the community directory. Choosing one is a directory
 * search (a GET form, so it works without script), then a short form for the date, what has come of it and a note.
 * Only the person's coordinator and their team's leads may change anything: a colleague it is shared with reads.
 */

const connectionParams = personParams.extend({ connectionId: z.string().max(100) });
const chooseQuery = z.object({ q: z.string().max(200).optional(), serviceId: z.string().max(100).optional() });

const read = { access: access.supportPerson('read') };
const write = { access: access.supportPerson('write') };

const connectionsPath = (personId: string, rest = '') => personPath(personId, `/connections${rest}`);

async function audit(tx: Tx, request: FastifyRequest, action: string, details: Record<string, unknown>) {
  const support = request.support!;
  await recordAudit(tx, { actor: actorOf(request), action, objectType: 'support-person', objectId: support.personId, organisationId: support.organisationId, details });
}

const outcomeItems = (chosen: string) => connectionOutcomes.map((o) => ({ value: o, text: connectionOutcomeNames[o], checked: o === chosen }));

function connectionLine(c: ConnectionRow, personId: string) {
  return {
    ...c,
    connectedOn: longDate(c.connectedOn),
    outcomeOn: c.outcomeOn ? longDate(c.outcomeOn) : null,
    paragraphs: paragraphsOf(c.note),
    outcomeHref: connectionsPath(personId, `/${c.id}/outcome`),
  };
}

export const connectionRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  app.get('/support/people/:personId/connections', { config: read, schema: { params: personParams } }, async (request, reply) => {
    const { person, dataKey, record } = await personOf(request, 'connections');
    const connections = await connectionsOf(db(), dataKey, person.id);
    return reply.page('supporting-people/views/connection-list.njk', {
      pageTitle: `Connections: ${person.name}`,
      record,
      connections: connections.map((c) => connectionLine(c, person.id)),
      newHref: connectionsPath(person.id, '/new'),
    });
  });

  // ---- Choosing something from the directory, then saying when and how it went -------------------------------------

  const renderSearch = async (request: FastifyRequest, reply: FastifyReply, q: string, errors?: FormErrors) => {
    const { person, record } = await personOf(request, 'connections');
    const found = await servicesToConnect(db(), q, person.lsoa21);
    return reply.page(
      'supporting-people/views/connection-search.njk',
      {
        pageTitle: `Connect to a group, place or service: ${person.name}`,
        record,
        q,
        errors,
        searched: Boolean(q.trim()),
        near: found.near,
        total: found.total,
        limit: searchLimit,
        results: found.rows.map((r) => ({
          name: r.name,
          organisation: r.organisation,
          categories: r.categories.map((c) => c.name).join(', '),
          place: [r.location?.name, r.location?.postcode].filter(Boolean).join(', '),
          when: r.schedules.join('; '),
          sample: r.sample,
          chooseHref: `${connectionsPath(person.id, '/new')}?serviceId=${encodeURIComponent(r.id)}`,
        })),
        action: connectionsPath(person.id, '/new'),
        backHref: connectionsPath(person.id),
      },
      errors ? 400 : 200,
    );
  };

  const renderDetails = async (request: FastifyRequest, reply: FastifyReply, service: { id: string; name: string; description: string | null; sample: boolean }, values: Form, errors?: FormErrors) => {
    const { person, record } = await personOf(request, 'connections');
    return reply.page(
      'supporting-people/views/connection-new.njk',
      {
        pageTitle: `Connect to ${service.name}: ${person.name}`,
        record,
        service,
        values,
        errors,
        outcomeItems: outcomeItems(text(values, 'outcome') || 'suggested'),
        action: connectionsPath(person.id),
        searchHref: connectionsPath(person.id, '/new'),
        backHref: connectionsPath(person.id),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/support/people/:personId/connections/new', { config: write, schema: { params: personParams, querystring: chooseQuery } }, async (request, reply) => {
    const { q = '', serviceId } = request.query;
    if (serviceId) {
      const service = await serviceToConnect(db(), serviceId);
      if (service) return renderDetails(request, reply, service, { serviceId: service.id, ...dateBoxes('connectedOn', today()) });
      return renderSearch(request, reply, q, fieldError('q', 'That is not in the directory any more: search for it again'));
    }
    return renderSearch(request, reply, q);
  });

  app.post('/support/people/:personId/connections', { config: write, schema: { params: personParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const service = await serviceToConnect(db(), text(form, 'serviceId'));
    // Without a service there is nothing to fill in: back to choosing one.
    if (!service) return renderSearch(request, reply, '', fieldError('q', 'Choose a group, place or service from the directory'));
    const checked = readConnectionForm(form, today());
    if (!checked.ok) return renderDetails(request, reply, service, form, checked.errors);
    const { person, dataKey } = await personOf(request, 'connections');
    await db().transaction(async (tx) => {
      const connectionId = await insertConnection(tx, dataKey, person.id, service, checked.input);
      await audit(tx, request, 'support.connection.create', { connectionId, serviceId: service.id, outcome: checked.input.outcome });
    });
    return reply.flash(`Connection to ${service.name} recorded`).redirect(connectionsPath(person.id), 303);
  });

  // ---- What came of it ------------------------------------------------------------------------------------------------

  const connectionOfRequest = async (request: FastifyRequest) => {
    const { person, dataKey, record } = await personOf(request, 'connections');
    const { connectionId } = request.params as z.infer<typeof connectionParams>;
    const connection = await connectionOf(db(), dataKey, person.id, connectionId);
    return connection ? { person, dataKey, record, connection } : null;
  };

  const renderOutcome = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const found = await connectionOfRequest(request);
    if (!found) return reply.callNotFound();
    const { person, record, connection } = found;
    return reply.page(
      'supporting-people/views/connection-outcome.njk',
      {
        pageTitle: `What came of it: ${connection.serviceName}`,
        record,
        connection: connectionLine(connection, person.id),
        values,
        errors,
        outcomeItems: outcomeItems(text(values, 'outcome') || connection.outcome),
        action: connectionsPath(person.id, `/${connection.id}/outcome`),
        backHref: connectionsPath(person.id),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/support/people/:personId/connections/:connectionId/outcome', { config: write, schema: { params: connectionParams } }, async (request, reply) => {
    const found = await connectionOfRequest(request);
    if (!found) return reply.callNotFound();
    return renderOutcome(request, reply, { ...dateBoxes('outcomeOn', today()), note: found.connection.note ?? '' });
  });

  app.post('/support/people/:personId/connections/:connectionId/outcome', { config: write, schema: { params: connectionParams, body: formBody } }, async (request, reply) => {
    const found = await connectionOfRequest(request);
    if (!found) return reply.callNotFound();
    const form = request.body as Form;
    const connectedOn = found.connection.connectedOn;
    const checked = readOutcomeForm(form, today(), connectedOn);
    if (!checked.ok) return renderOutcome(request, reply, form, checked.errors);
    await db().transaction(async (tx) => {
      await setConnectionOutcome(tx, found.dataKey, found.connection.id, checked.input);
      await audit(tx, request, 'support.connection.outcome', { connectionId: found.connection.id, outcome: checked.input.outcome });
    });
    return reply.flash(`${found.connection.serviceName}: ${connectionOutcomeNames[checked.input.outcome].toLowerCase()}`).redirect(connectionsPath(found.person.id), 303);
  });
};
