import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isApiRequest } from '../auth/permissions.ts';

/** Words for people, by status. No stack trace or internal message ever reaches a visitor. */
const pages: Record<number, { title: string; paragraphs: string[] }> = {
  400: { title: 'There is a problem with what was sent', paragraphs: ['Go back, check your answers and try again.'] },
  401: { title: 'Sign in to continue', paragraphs: ['You need to sign in to do this.'] },
  403: { title: 'You cannot do this', paragraphs: ['Your account does not have permission to do this. Ask an administrator of the organisation if you think it should.'] },
  404: { title: 'Page not found', paragraphs: ['If you typed the web address, check it is correct.', 'If you pasted the web address, check you copied the entire address.'] },
  413: { title: 'What was sent is too large', paragraphs: ['Send a smaller file or less text.'] },
  415: { title: 'That kind of content cannot be sent here', paragraphs: ['Go back and use the form on the page.'] },
  429: { title: 'Too many attempts', paragraphs: ['You have tried too many times. Wait 10 minutes, then try again.'] },
  500: { title: 'Sorry, there is a problem with the service', paragraphs: ['Try again later. If it keeps happening, tell your Patchwork administrator the time it happened.'] },
  503: { title: 'Sorry, the service is unavailable', paragraphs: ['Patchwork cannot reach its database at the moment, so anything you were sending may not have been saved.', 'Try again in a few minutes, and check before sending a form again.'] },
};

/** Seconds a client is asked to wait before trying again while the database cannot be reached. */
export const retryAfterSeconds = 30;

/** Node socket errors meaning the database server is not there (or went away) rather than the query being wrong. */
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** PostgreSQL SQLSTATEs for a server shutting down, restarting or not yet accepting connections. */
const unavailableStates = new Set(['57P01', '57P02', '57P03']);
/** What node-postgres says when it cannot connect in time or loses the connection. */
const unavailableMessages = /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|terminating connection due to administrator command|the database system is (starting up|shutting down|in recovery mode)/i;

/**
 * Whether an error means the database cannot be reached at the moment (so the request may succeed later), as
 * opposed to a fault in the request or the code. Drizzle wraps driver errors, so the whole cause chain is read.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = error; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (socketCodes.has(code) || unavailableStates.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (typeof message === 'string' && unavailableMessages.test(message)) return true;
    // AggregateError (a host with several addresses, all refused) keeps the reasons in `errors`.
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.some((x) => isDatabaseUnavailable(x))) return true;
  }
  return false;
}

const csrfCodes = new Set([
  'FST_CSRF_MISSING_SECRET',
  'FST_CSRF_INVALID_TOKEN',
]);

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { pointer: string; detail: string }[];
};

/** RFC 9457 problem details for the JSON API. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

function sendPage(request: FastifyRequest, reply: FastifyReply, status: number, detail?: { title: string; paragraphs: string[] }) {
  const page = detail ?? pages[status] ?? pages[status >= 500 ? 500 : 400]!;
  // A broken template must not hide the error behind another error.
  try {
    return reply.page('error.njk', { pageTitle: page.title, paragraphs: page.paragraphs, linkHref: '/', linkText: 'Go to the Patchwork home page' }, status);
  } catch (renderError) {
    request.log.error({ err: renderError }, 'error page failed to render');
    return reply.code(status).type('text/plain; charset=utf-8').send(page.title);
  }
}

/** Busboy's messages for a multipart body cut short or without its boundary. */
const unreadableMultipart = /^(Unexpected end of (multipart data|form)|Multipart: Boundary not found|Malformed part header)$/;

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    // Busboy (under @fastify/multipart) throws plain errors, with no status, for a multipart body it cannot read:
    // that is a bad request, not a fault of ours.
    if (status === 500 && unreadableMultipart.test(error.message)) status = 400;
    const api = isApiRequest(request);

    if (error.validation) {
      status = 400;
      if (api) {
        return sendProblem(reply, {
          type: 'about:blank',
          title: 'The request is not valid',
          status,
          detail: error.validation.map((v) => `${v.instancePath || '(request)'}: ${v.message}`).join('; '),
          instance: request.url,
          errors: error.validation.map((v) => ({ pointer: `#${v.instancePath}`, detail: v.message ?? 'not valid' })),
        });
      }
      return sendPage(request, reply, 400, {
        title: 'There is a problem with what was sent',
        paragraphs: [...error.validation.map((v) => v.message ?? 'An answer is not valid'), 'Go back, check your answers and try again.'],
      });
    }

    if (csrfCodes.has(error.code)) {
      request.log.warn({ code: error.code }, 'refused a request without a valid CSRF token');
      const paragraphs = ['The form you sent had expired or did not come from Patchwork, so nothing was changed.', 'Go back, refresh the page and try again.'];
      if (api) return sendProblem(reply, { type: 'about:blank', title: 'Missing or invalid CSRF token', status: 403, detail: paragraphs[0], instance: request.url });
      return sendPage(request, reply, 403, { title: 'Your form has expired', paragraphs });
    }

    if (status >= 500 && isDatabaseUnavailable(error)) {
      // Not a bug: the database is down or restarting. Say so, and when to come back, rather than "an error".
      request.log.warn({ err: { code: (error as { code?: string }).code, message: error.message } }, 'database unavailable');
      reply.header('retry-after', String(retryAfterSeconds));
      if (api) return sendProblem(reply, { type: 'about:blank', title: pages[503]!.title, status: 503, detail: pages[503]!.paragraphs[0], instance: request.url });
      return sendPage(request, reply, 503);
    }

    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status, code: error.code }, error.message);

    // Messages from our own code (AccessDenied, rate limit) are written for people; others are not.
    const safeMessage = status < 500 && (error.name === 'AccessDenied' || status === 429) ? error.message : undefined;
    if (api) {
      return sendProblem(reply, {
        type: 'about:blank',
        title: pages[status]?.title ?? (status >= 500 ? pages[500]!.title : 'The request could not be completed'),
        status,
        detail: safeMessage,
        instance: request.url,
      });
    }
    return sendPage(request, reply, status);
  });

  app.setNotFoundHandler((request, reply) => {
    if (isApiRequest(request)) {
      return sendProblem(reply, { type: 'about:blank', title: 'Not found', status: 404, instance: request.url });
    }
    return sendPage(request, reply, 404);
  });
}
