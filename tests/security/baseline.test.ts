import { count, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/platform/audit/schema.ts';
import { memberships, sessions } from '../../src/platform/auth/schema.ts';
import { engines } from '../support/engines.ts';
import { Client, emailOf, startTestApp, testPassword, useSeededApp } from '../support/app.ts';

describe.each(engines)('security baseline on %s', (engine) => {
  const h = useSeededApp(engine);

  const memberCount = async () =>
    (await h.database.db.select({ n: count() }).from(memberships).where(eq(memberships.organisationId, h.seed.organisationId)))[0]!.n;

  describe('CSRF', () => {
    it('refuses a POST without a token and changes nothing', async () => {
      const admin = new Client(h.app);
      await admin.signIn(emailOf('admin'));
      const before = await memberCount();
      const response = await admin.post('/organisations/test-org/members', { email: 'new@example.org', name: 'New Person', role: 'member' }, { csrf: false });
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain('Your form has expired');
      expect(await memberCount()).toBe(before);
    });

    it('refuses a token issued to a different session', async () => {
      const admin = new Client(h.app);
      await admin.signIn(emailOf('admin'));
      const attacker = new Client(h.app);
      await attacker.signIn(emailOf('outsider'));
      admin.csrfToken = attacker.csrfToken;
      const before = await memberCount();
      const response = await admin.post('/organisations/test-org/members', { email: 'new2@example.org', name: 'New Person', role: 'member' });
      expect(response.statusCode).toBe(403);
      expect(await memberCount()).toBe(before);
    });

    it('accepts the same request with the session’s own token', async () => {
      const admin = new Client(h.app);
      await admin.signIn(emailOf('admin'));
      const response = await admin.post('/organisations/test-org/members', { email: 'new3@example.org', name: 'New Person', role: 'member' });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('/invitations/');
    });

    it('refuses a forged sign-out, so another site cannot sign people out', async () => {
      const client = new Client(h.app);
      await client.signIn(emailOf('viewer'));
      expect((await client.post('/sign-out', {}, { csrf: false })).statusCode).toBe(403);
      expect((await client.get('/account')).statusCode).toBe(200);
    });
  });

  describe('sessions', () => {
    it('issues a new session on sign-in (no fixation) with safe cookie flags', async () => {
      const client = new Client(h.app);
      await client.signIn(emailOf('member'));
      const first = client.cookie('pw_session');
      const response = await client.post('/sign-in', { email: emailOf('member'), password: testPassword });
      const cookie = response.cookies.find((c) => c.name === 'pw_session')!;
      expect(cookie.value).not.toBe(first);
      expect(cookie.httpOnly).toBe(true);
      expect(cookie.sameSite).toBe('Lax');
      expect(cookie.secure).toBeFalsy();
      const [stored] = await h.database.db.select().from(sessions).limit(1);
      expect(stored!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(stored!.tokenHash).not.toBe(cookie.value);
    });

    it('marks the session cookie Secure behind an HTTPS proxy', async () => {
      const proxied = await startTestApp(h.database, { TRUST_PROXY: 'true', SIGN_IN_RATE_LIMIT: '1000' });
      try {
        const page = await proxied.inject({ url: '/sign-in', headers: { 'x-forwarded-proto': 'https' } });
        const csrfCookie = page.cookies.find((c) => c.name === 'pw_csrf')!;
        const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
        const response = await proxied.inject({
          method: 'POST',
          url: '/sign-in',
          headers: { 'x-forwarded-proto': 'https', 'content-type': 'application/x-www-form-urlencoded', cookie: `pw_csrf=${csrfCookie.value}` },
          payload: new URLSearchParams({ _csrf: token, email: emailOf('member'), password: testPassword }).toString(),
        });
        expect(response.statusCode).toBe(303);
        expect(response.cookies.find((c) => c.name === 'pw_session')!.secure).toBe(true);
        expect(response.headers['strict-transport-security']).toContain('max-age=');
      } finally {
        await proxied.close();
      }
    });

    it('ends the session on sign-out, server side as well as in the browser', async () => {
      const client = new Client(h.app);
      await client.signIn(emailOf('viewer'));
      const token = client.cookie('pw_session')!;
      expect((await client.post('/sign-out')).statusCode).toBe(303);
      const replay = await h.app.inject({ url: '/account', headers: { cookie: `pw_session=${token}` } });
      expect(replay.statusCode).toBe(302);
    });
  });

  describe('headers and pages', () => {
    it('sends a Content-Security-Policy that allows no inline script', async () => {
      const response = await h.app.inject({ url: '/' });
      const csp = response.headers['content-security-policy'] as string;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      // …and the pages need none: every script tag loads a file.
      expect(response.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    });

    it('escapes what people type', async () => {
      const client = new Client(h.app);
      await client.get('/sign-in');
      const response = await client.post('/sign-in', { email: '<script>alert(1)</script>', password: '' });
      expect(response.body).not.toContain('<script>alert(1)</script>');
      expect(response.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    });

    it('never shows a stack trace', async () => {
      const response = await h.app.inject({ method: 'POST', url: '/sign-in', payload: '{"not json', headers: { 'content-type': 'application/json' } });
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.body).not.toMatch(/at .*\.(ts|js):\d+/);
      expect(response.body).not.toContain('node_modules');
    });

    it('serves fingerprinted assets with long cache lifetimes', async () => {
      const home = await h.app.inject({ url: '/' });
      const css = /href="(\/assets\/patchwork-[0-9a-f]{12}\.css)"/.exec(home.body)![1]!;
      const response = await h.app.inject({ url: css });
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(response.body).not.toContain('GDS Transport');
    });
  });

  describe('audit log', () => {
    it('records changes in the same transaction and cannot be rewritten', async () => {
      const client = new Client(h.app);
      await client.signIn(emailOf('coordinator'));
      const [event] = await h.database.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.action, 'user.signed-in'))
        .orderBy(sql`${auditEvents.id} desc`)
        .limit(1);
      expect(event!.actorLabel).toBe(emailOf('coordinator'));
      expect(event!.requestId).toMatch(/^[0-9a-f-]{36}$/);
      await expect(h.database.db.update(auditEvents).set({ action: 'forged' })).rejects.toThrow();
      await expect(h.database.db.delete(auditEvents)).rejects.toThrow();
      await expect(h.database.db.execute(sql`truncate audit_events`)).rejects.toThrow();
    });
  });
});

describe.each(engines)('sign-in rate limit on %s', (engine) => {
  const h = useSeededApp(engine, { SIGN_IN_RATE_LIMIT: '3' });

  it('refuses further attempts from one address, even with the right password', async () => {
    const client = new Client(h.app);
    await client.get('/sign-in');
    for (let i = 0; i < 3; i++) {
      expect((await client.post('/sign-in', { email: emailOf('member'), password: 'wrong password entirely' })).statusCode).toBe(400);
    }
    const refused = await client.post('/sign-in', { email: emailOf('member'), password: testPassword });
    expect(refused.statusCode).toBe(429);
    expect(refused.body).toContain('Too many attempts');
    expect(refused.cookies.find((c) => c.name === 'pw_session')).toBeUndefined();
    // Other pages still work for the same address.
    expect((await client.get('/')).statusCode).toBe(200);
  });
});
