import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../platform/auth/permissions.ts';
import { endSession, startSession } from '../../platform/auth/web-session.ts';
import { fieldError, formErrors } from '../../platform/web/forms.ts';
import { recordAudit } from '../../platform/audit/audit.ts';
import { acceptInvitation, changePassword, checkCredentials, findOpenInvitation, membershipsOf } from './service.ts';

/** Only paths on this site, so a crafted sign-in link cannot send someone elsewhere afterwards. */
const localPath = z
  .string()
  .regex(/^\/(?![/\\])[^\s]*$/, 'Return address must be a page on this site')
  .max(2000)
  .optional();

const signInForm = z.object({
  email: z.string().trim().min(1, 'Enter your email address').max(320, 'Email address must be 320 characters or fewer'),
  password: z.string().min(1, 'Enter your password').max(1024, 'Password must be 1024 characters or fewer'),
  returnTo: localPath,
});

const passwordForm = z.object({
  currentPassword: z.string().min(1, 'Enter your current password').max(1024),
  newPassword: z.string().min(1, 'Enter a new password').max(1024),
  confirmPassword: z.string().max(1024),
});

const invitationForm = z.object({
  password: z.string().min(1, 'Enter a password').max(1024),
  confirmPassword: z.string().max(1024),
});

export const accountRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  app.get(
    '/sign-in',
    { config: { access: access.public }, schema: { querystring: z.object({ returnTo: localPath }) }, attachValidation: true },
    async (request, reply) => {
      if (request.user) return reply.redirect('/account', 303);
      const returnTo = request.validationError ? undefined : request.query.returnTo;
      return reply.page('accounts/views/sign-in.njk', { pageTitle: 'Sign in', values: { returnTo } });
    },
  );

  app.post(
    '/sign-in',
    {
      config: {
        access: access.public,
        rateLimit: {
          max: app.config.signInRateLimit,
          timeWindow: '10 minutes',
          errorResponseBuilder: () => ({
            statusCode: 429,
            message: 'Too many sign-in attempts from your connection. Wait 10 minutes, then try again.',
          }),
        },
      },
      schema: { body: signInForm },
      attachValidation: true,
    },
    async (request, reply) => {
      const values = { ...(request.body as Record<string, unknown>), password: undefined };
      if (request.validationError) {
        return reply.page('accounts/views/sign-in.njk', { pageTitle: 'Sign in', values, errors: formErrors(request.validationError) }, 400);
      }
      const { email, password, returnTo } = request.body;
      const user = await checkCredentials(db(), email, password);
      if (!user) {
        request.log.info('sign-in refused');
        return reply.page(
          'accounts/views/sign-in.njk',
          { pageTitle: 'Sign in', values, errors: fieldError('email', 'Enter a correct email address and password') },
          400,
        );
      }
      await db().transaction(async (tx) => {
        await startSession(tx, request, reply, user.id);
        await recordAudit(tx, { actor: { userId: user.id, label: user.email }, action: 'user.signed-in', objectType: 'user', objectId: user.id, requestId: request.id });
      });
      return reply.redirect(returnTo ?? '/account', 303);
    },
  );

  app.post('/sign-out', { config: { access: access.public } }, async (request, reply) => {
    if (request.user) {
      const user = request.user;
      await db().transaction(async (tx) => {
        await endSession(tx, request, reply);
        await recordAudit(tx, { actor: { userId: user.id, label: user.email }, action: 'user.signed-out', objectType: 'user', objectId: user.id, requestId: request.id });
      });
    }
    return reply.flash('You have signed out').redirect('/', 303);
  });

  app.get('/account', { config: { access: access.signedIn } }, async (request, reply) => {
    const user = request.user!;
    return reply.page('accounts/views/account.njk', { pageTitle: 'Your account', memberships: await membershipsOf(db(), user.id) });
  });

  app.post(
    '/account/password',
    { config: { access: access.signedIn }, schema: { body: passwordForm }, attachValidation: true },
    async (request, reply) => {
      const user = request.user!;
      const render = async (errors: unknown) =>
        reply.page('accounts/views/account.njk', { pageTitle: 'Your account', memberships: await membershipsOf(db(), user.id), errors }, 400);
      if (request.validationError) return render(formErrors(request.validationError));
      const { currentPassword, newPassword, confirmPassword } = request.body;
      if (newPassword !== confirmPassword) return render(fieldError('confirmPassword', 'The passwords do not match'));
      const result = await changePassword(
        db(),
        { userId: user.id, currentPassword, newPassword, keepSessionTokenHash: request.session!.tokenHash },
        { userId: user.id, label: user.email },
      );
      if (!result.ok) return render(fieldError(result.field, result.message));
      return reply.flash('Your password has been changed. Any other devices signed in to your account have been signed out.').redirect('/account', 303);
    },
  );

  const tokenParams = z.object({ token: z.string().max(100) });

  app.get('/invitations/:token', { config: { access: access.public }, schema: { params: tokenParams } }, async (request, reply) => {
    const invitation = await findOpenInvitation(db(), request.params.token);
    if (!invitation) return reply.page('accounts/views/invitation-expired.njk', { pageTitle: 'This invitation link cannot be used' }, 404);
    return reply.page('accounts/views/invitation.njk', { pageTitle: 'Set your password', invitation });
  });

  app.post(
    '/invitations/:token',
    { config: { access: access.public }, schema: { params: tokenParams, body: invitationForm }, attachValidation: true },
    async (request, reply) => {
      const { token } = request.params as { token: string };
      const invitation = await findOpenInvitation(db(), token);
      if (!invitation) return reply.page('accounts/views/invitation-expired.njk', { pageTitle: 'This invitation link cannot be used' }, 404);
      const render = (errors: unknown) => reply.page('accounts/views/invitation.njk', { pageTitle: 'Set your password', invitation, errors }, 400);
      if (request.validationError) return render(formErrors(request.validationError));
      if (request.body.password !== request.body.confirmPassword) return render(fieldError('confirmPassword', 'The passwords do not match'));
      const result = await acceptInvitation(db(), token, request.body.password);
      if (!result.ok) return render(fieldError(result.field, result.message));
      await db().transaction((tx) => startSession(tx, request, reply, result.value.userId));
      return reply.flash('Your password is set and you are signed in').redirect('/account', 303);
    },
  );

  app.get(
    '/api/v1/me',
    {
      config: { access: access.signedIn },
      schema: {
        tags: ['accounts'],
        summary: 'The signed-in person and their organisations',
        response: {
          200: z.object({
            id: z.string().uuid(),
            email: z.string(),
            name: z.string(),
            isSiteAdmin: z.boolean(),
            organisations: z.array(z.object({ slug: z.string(), name: z.string(), kind: z.string(), role: z.string() })),
          }),
        },
      },
    },
    async (request) => {
      const user = request.user!;
      return { ...user, organisations: await membershipsOf(db(), user.id) };
    },
  );
};
