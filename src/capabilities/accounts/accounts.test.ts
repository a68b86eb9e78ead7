import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents } from '../../platform/audit/schema.ts';
import { users } from '../../platform/auth/schema.ts';
import { passwordProblem } from '../../platform/auth/passwords.ts';
import { engines } from '../../../tests/support/engines.ts';
import { Client, emailOf, testPassword, useSeededApp } from '../../../tests/support/app.ts';

describe('password rules', () => {
  it.each([
    ['short', 'Password must be 12 characters or more'],
    ['password1234', 'Password is too common: choose one that is harder to guess'],
    ['aaaaaaaaaaaaaaaa', 'Password must not be made of the same few characters repeated'],
    ['x'.repeat(257), 'Password must be 256 characters or fewer'],
  ])('refuses %s', (password, message) => {
    expect(passwordProblem(password)).toBe(message);
  });
  it('refuses a password containing the email name', () => {
    expect(passwordProblem('my-jane.doe-secret', 'Jane.Doe@example.org')).toBe('Password must not contain your email address');
  });
  it('accepts a long passphrase', () => {
    expect(passwordProblem(testPassword)).toBeNull();
  });
});

describe.each(engines)('accounts on %s', (engine) => {
  const h = useSeededApp(engine);

  it('signs in with any capitalisation of the email and returns to the page asked for', async () => {
    const client = new Client(h.app);
    await client.get('/sign-in?returnTo=/organisations/test-org/members');
    expect(client.csrfToken).toBeDefined();
    const response = await client.post('/sign-in', { email: '  MEMBER@Example.org ', password: testPassword, returnTo: '/organisations/test-org/members' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/organisations/test-org/members');
  });

  it('will not redirect off-site after sign-in', async () => {
    const client = new Client(h.app);
    await client.get('/sign-in');
    const response = await client.post('/sign-in', { email: emailOf('member'), password: testPassword, returnTo: '//evil.example/' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Return address must be a page on this site');
  });

  it('gives the same message for an unknown email and a wrong password', async () => {
    const client = new Client(h.app);
    await client.get('/sign-in');
    const unknown = await client.post('/sign-in', { email: 'nobody@example.org', password: testPassword });
    const wrong = await client.post('/sign-in', { email: emailOf('member'), password: 'not the password at all' });
    for (const response of [unknown, wrong]) {
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('Enter a correct email address and password');
      expect(response.body).toContain('govuk-error-summary');
    }
  });

  it('says which fields are missing', async () => {
    const client = new Client(h.app);
    await client.get('/sign-in');
    const response = await client.post('/sign-in', { email: '', password: '' });
    expect(response.body).toContain('Enter your email address');
    expect(response.body).toContain('Enter your password');
    expect(response.body).toContain('href="#email"');
    expect(response.body).toContain('<title>Error: Sign in');
  });

  it('changes a password, signing out other devices, and refuses a wrong current password', async () => {
    const laptop = new Client(h.app);
    const phone = new Client(h.app);
    await laptop.signIn(emailOf('coordinator'));
    await phone.signIn(emailOf('coordinator'));

    const wrong = await laptop.post('/account/password', { currentPassword: 'nope', newPassword: 'a brand new passphrase', confirmPassword: 'a brand new passphrase' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('Your current password is not correct');

    const mismatch = await laptop.post('/account/password', { currentPassword: testPassword, newPassword: 'a brand new passphrase', confirmPassword: 'different' });
    expect(mismatch.body).toContain('The passwords do not match');

    const ok = await laptop.post('/account/password', { currentPassword: testPassword, newPassword: 'a brand new passphrase', confirmPassword: 'a brand new passphrase' });
    expect(ok.statusCode).toBe(303);
    expect((await laptop.get('/account')).statusCode).toBe(200);
    expect((await phone.get('/account')).statusCode).toBe(302);
    const again = new Client(h.app);
    expect((await again.signIn(emailOf('coordinator'), 'a brand new passphrase')).statusCode).toBe(303);
    const events = await h.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'user.password-changed'));
    expect(events).toHaveLength(1);
  });

  it('lets an invited person set a password once, through a link that works only once', async () => {
    const admin = new Client(h.app);
    await admin.signIn(emailOf('admin'));
    const added = await admin.post('/organisations/test-org/members', { email: 'invitee@example.org', name: 'Ivy Invitee', role: 'member' });
    const link = /\/invitations\/([A-Za-z0-9_-]{43})/.exec(added.body)![0];

    const invitee = new Client(h.app);
    expect((await invitee.signIn('invitee@example.org', 'anything at all here')).statusCode).toBe(400);
    const page = await invitee.get(link);
    expect(page.body).toContain('Set your password');
    expect(page.body).toContain('Test Organisation');
    const weak = await invitee.post(link, { password: 'short', confirmPassword: 'short' });
    expect(weak.body).toContain('Password must be 12 characters or more');
    const done = await invitee.post(link, { password: 'ivy likes long passphrases', confirmPassword: 'ivy likes long passphrases' });
    expect(done.statusCode).toBe(303);
    expect((await invitee.get('/account')).body).toContain('Ivy Invitee');
    expect((await new Client(h.app).get(link)).statusCode).toBe(404);
    const [stored] = await h.database.db.select().from(users).where(eq(users.email, 'invitee@example.org'));
    expect(stored!.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it('answers the API with the signed-in person', async () => {
    const client = new Client(h.app);
    await client.signIn(emailOf('viewer'));
    const response = await client.get('/api/v1/me');
    expect(response.json()).toMatchObject({ email: emailOf('viewer'), organisations: [{ slug: 'test-org', role: 'viewer' }] });
  });
});
