import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { PageCache, registerPageCache } from './page-cache.ts';

describe.each(engines)('page cache on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let cache: PageCache;
  let made = 0;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await database.db.execute(sql`create table page_cache_probe (n int)`);
    cache = new PageCache(database, sql`(select count(*)::text from page_cache_probe)`, { recheckMs: 200, maxBytes: 1024 * 1024 });
    app = Fastify();
    await app.register(cookie);
    // Signed in, for this test, is a header.
    registerPageCache(app, cache, (request) => !request.headers['x-signed-in']);
    app.get('/page', { config: { pageCache: true } }, async (_request, reply) => reply.type('text/html').send(`<p>page ${++made}</p>`));
    app.get('/cookie', { config: { pageCache: true } }, async (_request, reply) => reply.setCookie('c', String(++made)).type('text/html').send(`<p>cookie ${made}</p>`));
    app.get('/other', async (_request, reply) => reply.type('text/html').send(`<p>other ${++made}</p>`));
    app.post('/change', async () => {
      await database.db.execute(sql`insert into page_cache_probe values (1)`);
      return { ok: true };
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('answers a second anonymous visit from the kept page, with an ETag that revalidates', async () => {
    const first = await app.inject('/page');
    const second = await app.inject('/page');
    expect(second.body).toBe(first.body);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers['cache-control']).toBe('no-cache');
    expect((await app.inject({ url: '/page', headers: { 'if-none-match': String(first.headers.etag) } })).statusCode).toBe(304);
    // The query string is part of the page.
    expect((await app.inject('/page?x=1')).body).not.toBe(first.body);
  });

  it('answers compressed as the browser accepts, each encoding with its own validator', async () => {
    const plain = await app.inject('/page?z=1');
    // Compression happens off the event loop once the page is kept: until then it is sent as it is.
    await expect.poll(async () => (await app.inject({ url: '/page?z=1', headers: { 'accept-encoding': 'gzip, deflate, br' } })).headers['content-encoding']).toBe('br');
    const br = await app.inject({ url: '/page?z=1', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(plain.body);
    const gzip = await app.inject({ url: '/page?z=1', headers: { 'accept-encoding': 'gzip, br;q=0' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.rawPayload).toString()).toBe(plain.body);
    expect(new Set([plain.headers.etag, br.headers.etag, gzip.headers.etag]).size).toBe(3);
    expect(br.headers.vary).toBe('accept-encoding');
    expect((await app.inject({ url: '/page?z=1', headers: { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) } })).statusCode).toBe(304);
    expect((await app.inject({ url: '/page?z=1', headers: { 'accept-encoding': 'identity' } })).headers['content-encoding']).toBeUndefined();
  });

  it('never serves a kept page to a signed-in visitor, keeps no page that sets a cookie, and only pages that opt in', async () => {
    const kept = (await app.inject('/page')).body;
    expect((await app.inject({ url: '/page', headers: { 'x-signed-in': '1' } })).body).not.toBe(kept);
    expect((await app.inject('/cookie')).body).not.toBe((await app.inject('/cookie')).body);
    expect((await app.inject('/other')).body).not.toBe((await app.inject('/other')).body);
  });

  it('refuses to start with a page kept that is not open to everyone', async () => {
    const other = Fastify();
    registerPageCache(other, cache, () => true, (config) => (config as { open?: boolean }).open === true);
    other.get('/open', { config: { pageCache: true, open: true } as never }, async () => 'ok');
    expect(() => other.get('/private', { config: { pageCache: true } }, async () => 'no')).toThrow('/private keeps pages but is not open to everyone');
    await other.close();
  });

  it('drops kept pages at once when this server changes data, and soon after a change made elsewhere', async () => {
    const before = (await app.inject('/page')).body;
    expect((await app.inject('/page')).body).toBe(before);
    expect((await app.inject({ method: 'POST', url: '/change' })).statusCode).toBe(200);
    const after = (await app.inject('/page')).body;
    expect(after).not.toBe(before);

    // Elsewhere: the version is read again in the background once it is older than recheckMs.
    await database.db.execute(sql`insert into page_cache_probe values (2)`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    // The first visit after that may still get the kept page (it starts the re-read); a later one does not.
    await expect.poll(async () => (await app.inject('/page')).body).not.toBe(after);
  });
});
