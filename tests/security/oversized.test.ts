import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/engines.ts';
import { Client, emailOf, startTestApp, useSeededApp } from '../support/app.ts';
import { tableCounts } from '../support/hostile.ts';

/**
 * Oversized requests: a form body above the 1 MiB limit or a file above the 25 MiB upload limit is a 413 with the
 * page that says so, and writes nothing; too many form fields or multipart parts is refused the same way; very long
 * addresses and headers are refused by the HTTP server (414/431/400), never a 500.
 */

const written = ['memberships', 'users', 'audit_events', 'invitations', 'directory_services', 'organisations'];

/** A multipart body with `fields` text fields (the CSRF token first) and, if given, one file. */
function multipart(csrf: string, fields: number, file?: Buffer): { payload: Buffer; type: string } {
  const boundary = '----patchworkoversized';
  const parts: Buffer[] = [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`)];
  for (let i = 0; i < fields; i++) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`));
  if (file) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n`), file, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/** A raw HTTP request to a listening server, so Node's own limits on the request line and headers apply. */
function raw(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    // Node may answer 431 and close while a large header is still being written: a refusal too.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(431) : reject(error)));
    req.end();
  });
}

describe.each(engines)('oversized requests on %s', (engine) => {
  const h = useSeededApp(engine);

  const signedIn = async () => {
    const admin = new Client(h.app);
    await admin.signIn(emailOf('admin'));
    return admin;
  };

  const cookieOf = (client: Client) => `pw_session=${client.cookie('pw_session')}; pw_csrf=${client.cookie('pw_csrf')}`;

  it('refuses a form body above the limit with the page, and writes nothing', async () => {
    const admin = await signedIn();
    const before = await tableCounts(h.database.db, written);
    for (const url of ['/organisations/test-org/members', '/sign-in', '/directory/suggest', '/organisations/test-org/directory/services/new']) {
      const response = await admin.post(url, { email: 'big@example.org', name: 'x'.repeat(1024 * 1024 + 10), role: 'member' });
      expect(response.statusCode, url).toBe(413);
      expect(response.body).toContain('What was sent is too large');
    }
    expect(await tableCounts(h.database.db, written)).toBe(before);
  });

  it('refuses an upload above the file limit, and writes nothing', async () => {
    const admin = await signedIn();
    const before = await tableCounts(h.database.db, written);
    const { payload, type } = multipart(admin.csrfToken!, 0, Buffer.alloc(25 * 1024 * 1024 + 1024, 'a'));
    const response = await h.app.inject({ method: 'POST', url: '/organisations/test-org/directory/import', payload, headers: { cookie: cookieOf(admin), 'content-type': type } });
    expect(response.statusCode).toBe(413);
    expect(response.body).toContain('What was sent is too large');
    expect(await tableCounts(h.database.db, written)).toBe(before);
  });

  it('refuses too many multipart fields or parts, and too many form fields', async () => {
    const admin = await signedIn();
    const before = await tableCounts(h.database.db, written);
    for (const fields of [31, 200, 5000]) {
      const { payload, type } = multipart(admin.csrfToken!, fields);
      const response = await h.app.inject({ method: 'POST', url: '/organisations/test-org/directory/import', payload, headers: { cookie: cookieOf(admin), 'content-type': type } });
      expect(response.statusCode, `${fields} fields`).toBe(413);
      expect(response.body).toContain('What was sent is too large');
    }
    // A URL-encoded form of 50,000 tiny fields, under the byte limit: refused or answered, never a failure.
    const many = Array.from({ length: 50_000 }, (_, i) => `f${i}=x`).join('&');
    const response = await h.app.inject({
      method: 'POST',
      url: '/organisations/test-org/members',
      payload: `_csrf=${encodeURIComponent(admin.csrfToken!)}&${many}`,
      headers: { cookie: cookieOf(admin), 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([400, 413]).toContain(response.statusCode);
    expect(await tableCounts(h.database.db, written)).toBe(before);
  });

  it('refuses very long addresses and headers without failing', async () => {
    // Through inject (no HTTP server limits): long paths and queries reach the routes, which must cope.
    for (const url of [`/organisations/${'a'.repeat(10_000)}`, `/directory?q=${'a'.repeat(100_000)}`, `/assets/${'a'.repeat(5000)}.css`, `/${'a/'.repeat(5000)}`]) {
      expect((await h.app.inject({ url })).statusCode, url.slice(0, 40)).toBeLessThan(500);
    }
    // Through a real server, Node's limits answer before Patchwork.
    const server = await startTestApp(h.database);
    await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = server.server.address() as AddressInfo;
      expect([400, 414, 431]).toContain(await raw(port, `/directory?q=${'a'.repeat(20_000)}`));
      expect([400, 431]).toContain(await raw(port, '/', { 'x-long': 'a'.repeat(20_000) }));
      expect([400, 431]).toContain(await raw(port, '/', { cookie: `pw_session=${'a'.repeat(20_000)}` }));
      expect([400, 431]).toContain(await raw(port, '/', Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`x-h${i}`, 'a'.repeat(10)]))));
      // …and an ordinary request still works.
      expect(await raw(port, '/')).toBe(200);
    } finally {
      await server.close();
    }
  });
});
