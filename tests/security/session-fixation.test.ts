import { describe, expect, it } from 'vitest';
import { sessions } from '../../src/platform/auth/schema.ts';
import { engines } from '../support/engines.ts';
import { Client, emailOf, testPassword, useSeededApp } from '../support/app.ts';

/**
 * Session fixation: a session cookie planted before sign-in (by another site, a shared computer or a sub-domain) is
 * never adopted; signing in always issues a new token, and signing out ends the session on the server as well.
 * (New-session-on-sign-in for a signed-in client is in baseline.test.ts.)
 */
describe.each(engines)('session fixation on %s', (engine) => {
  const h = useSeededApp(engine);

  /**
   * Signs in through the form with `planted` as the pw_session cookie; returns the response. The CSRF token comes from
   * the sign-in page, or for a planted live session (which the sign-in page redirects) from that session's own pages.
   */
  const signInWith = async (planted: string, csrfFrom?: Client) => {
    let csrf: string;
    let token: string;
    if (csrfFrom) {
      csrf = csrfFrom.cookie('pw_csrf')!;
      token = csrfFrom.csrfToken!;
    } else {
      const page = await h.app.inject({ url: '/sign-in', headers: { cookie: `pw_session=${planted}` } });
      csrf = page.cookies.find((c) => c.name === 'pw_csrf')!.value;
      token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    }
    return h.app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { cookie: `pw_session=${planted}; pw_csrf=${csrf}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: token, email: emailOf('member'), password: testPassword }).toString(),
    });
  };

  it('does not adopt a session value an attacker planted before sign-in', async () => {
    for (const planted of ['attacker-chosen-value', 'A'.repeat(43), 'x'.repeat(4000), '%00', "'; drop table sessions; --"]) {
      const response = await signInWith(encodeURIComponent(planted));
      expect(response.statusCode).toBe(303);
      const issued = response.cookies.find((c) => c.name === 'pw_session')!;
      expect(issued.value).not.toBe(planted);
      expect(issued.value).not.toBe(encodeURIComponent(planted));
      // The planted value opens nothing; the issued one does.
      expect((await h.app.inject({ url: '/account', headers: { cookie: `pw_session=${encodeURIComponent(planted)}` } })).statusCode).toBe(302);
      expect((await h.app.inject({ url: '/account', headers: { cookie: `pw_session=${issued.value}` } })).statusCode).toBe(200);
    }
  });

  it('does not adopt a real session of someone else planted before sign-in', async () => {
    // The attacker signs in themselves and plants their own live token in the victim's browser.
    const attacker = new Client(h.app);
    await attacker.signIn(emailOf('outsider'));
    const planted = attacker.cookie('pw_session')!;
    const response = await signInWith(planted, attacker);
    expect(response.statusCode).toBe(303);
    const issued = response.cookies.find((c) => c.name === 'pw_session')!;
    expect(issued.value).not.toBe(planted);
    // The attacker's token never becomes the member's: signing in ends the session that was there before it.
    const asAttacker = await h.app.inject({ url: '/account', headers: { cookie: `pw_session=${planted}` } });
    expect(asAttacker.statusCode).toBe(302);
    expect(asAttacker.body).not.toContain(emailOf('member'));
    const asMember = await h.app.inject({ url: '/account', headers: { cookie: `pw_session=${issued.value}` } });
    expect(asMember.body).toContain(emailOf('member'));
  });

  it('ends the server-side session on sign-out, so a copied cookie is useless afterwards', async () => {
    const client = new Client(h.app);
    await client.signIn(emailOf('coordinator'));
    const token = client.cookie('pw_session')!;
    const before = await h.database.db.select({ tokenHash: sessions.tokenHash }).from(sessions);
    const response = await client.post('/sign-out');
    expect(response.statusCode).toBe(303);
    const cleared = response.cookies.find((c) => c.name === 'pw_session');
    expect(cleared && (cleared.value === '' || cleared.maxAge === 0 || (cleared.expires && cleared.expires.getTime() < Date.now()))).toBeTruthy();
    // One session fewer on the server, and the old token no longer opens anything.
    const after = await h.database.db.select({ tokenHash: sessions.tokenHash }).from(sessions);
    expect(after.length).toBe(before.length - 1);
    const replay = await h.app.inject({ url: '/account', headers: { cookie: `pw_session=${token}` } });
    expect(replay.statusCode).toBe(302);
    expect((await h.app.inject({ url: '/api/v1/me', headers: { cookie: `pw_session=${token}` } })).statusCode).toBe(401);
  });
});
