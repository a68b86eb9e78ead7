import { createHash } from 'node:crypto';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { sql, type SQL } from 'drizzle-orm';
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { queryRows, type Database } from '../db/database.ts';

/**
 * A kept page. It is compressed once, in each encoding browsers accept, off the event loop after it is kept,
 * so neither the visitor who made it nor later ones wait for compression; until then it is sent as it is.
 */
type Entry = { body: Buffer; br: Buffer | null; gzip: Buffer | null; type: string; etag: string; version: string };

/**
 * Whole pages kept for visitors who are not signed in. The public pages about places (rankings, profiles,
 * maps) are the same for every such visitor and change only when data is loaded, yet take tens of
 * milliseconds to assemble; kept, they are answered in a fraction of a millisecond. Signed-in visitors
 * always get a fresh page, since what they may see depends on who they are.
 *
 * A route opts in with `config: { pageCache: true }`. Pages are stored with the data version they were
 * made from: a fingerprint of the tables their capabilities name (`Capability.dataVersion`). The version is
 * re-read in the background at most every `recheckMs`, so no request waits for it, and at once after any
 * successful change made through this server (a form post), so its users see their own changes. A change
 * made outside the server (a command-line import into PostgreSQL) shows within `recheckMs`.
 */
export class PageCache {
  private entries = new Map<string, Entry>();
  private bytes = 0;
  private version: string | null = null;
  private checkedAt = 0;
  private checking: Promise<string> | null = null;
  /** Bumped by invalidate(), so a version read that began before a change is not trusted after it. */
  private generation = 0;

  constructor(
    private readonly database: Database,
    private readonly fingerprint: SQL,
    private readonly options = { recheckMs: 10_000, maxBytes: 64 * 1024 * 1024 },
  ) {}

  /** The data version now; a stale one is returned while a fresh one is read, unless there is none yet. */
  async currentVersion(): Promise<string> {
    if (Date.now() - this.checkedAt > this.options.recheckMs && !this.checking) {
      const generation = this.generation;
      this.checking = queryRows<{ v: string }>(this.database.db, sql`select ${this.fingerprint} as v`)
        .then(([row]) => {
          const version = String(row?.v ?? '');
          if (version !== this.version) this.clear();
          this.version = version;
          if (generation === this.generation) this.checkedAt = Date.now();
          return version;
        })
        .finally(() => {
          this.checking = null;
        });
    }
    return this.version ?? (await this.checking!);
  }

  /** Data changed here: the next request reads the version again before using any page. */
  invalidate(): void {
    this.generation++;
    this.version = null;
    this.checkedAt = 0;
  }

  get(key: string, version: string) {
    const entry = this.entries.get(key);
    if (!entry || entry.version !== version) return null;
    // Most recently used last, so the oldest is the first to go.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, version: string, page: string, type: string): string {
    // Kept encoded, so a hit is written out as it is.
    const body = Buffer.from(page);
    const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 27)}"`;
    if (body.length > this.options.maxBytes / 16) return etag;
    const entry: Entry = { body, br: null, gzip: null, type, etag, version };
    // Quality 5 costs a tenth of the time of 9 for a file under 1% larger.
    brotliCompress(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }, (error, result) => {
      if (!error && this.entries.get(key) === entry) this.grow(entry, 'br', result);
    });
    gzip(body, { level: 6 }, (error, result) => {
      if (!error && this.entries.get(key) === entry) this.grow(entry, 'gzip', result);
    });
    const previous = this.entries.get(key);
    if (previous) this.bytes -= size(previous);
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.bytes += size(entry);
    for (const [oldest, kept] of this.entries) {
      if (this.bytes <= this.options.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= size(kept);
    }
    return etag;
  }

  private grow(entry: Entry, encoding: 'br' | 'gzip', encoded: Buffer): void {
    entry[encoding] = encoded;
    this.bytes += encoded.length;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.entries.size;
  }
}

const size = (entry: Entry) => entry.body.length + (entry.br?.length ?? 0) + (entry.gzip?.length ?? 0);

/** The encoding to answer in, from the request's Accept-Encoding (q=0 refuses one). */
function encodingFor(accept: string | undefined): 'br' | 'gzip' | null {
  if (!accept) return null;
  const offered = new Map(
    accept.split(',').map((part) => {
      const [name, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
      return [name!.trim(), q === undefined ? 1 : Number(q)] as const;
    }),
  );
  if ((offered.get('br') ?? 0) > 0) return 'br';
  if ((offered.get('gzip') ?? 0) > 0) return 'gzip';
  return null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Keep this GET page for visitors who are not signed in (see PageCache). */
    pageCache?: boolean;
  }
  interface FastifyRequest {
    pageCacheKey: { key: string; version: string } | null;
  }
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Serves opted-in pages from the cache and fills it. Registered after the hook that reads the session, so a
 * signed-in visitor is never served a kept page; a response that sets a cookie is never kept. A hit is
 * answered before validation and the permission check: it is a page already made, for a visitor like this
 * one, by a route open to everyone, at this very address.
 */
export function registerPageCache(app: FastifyInstance, cache: PageCache, canUse: (request: FastifyRequest) => boolean, isPublic: (config: FastifyContextConfig) => boolean = () => true): void {
  app.decorateRequest('pageCacheKey', null);
  app.addHook('onRoute', (route) => {
    if (route.config?.pageCache && !isPublic(route.config)) throw new Error(`${route.url} keeps pages but is not open to everyone: only public pages may be kept`);
  });
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.routeOptions.config.pageCache || request.method !== 'GET' || !canUse(request)) return;
    const version = await cache.currentVersion();
    const hit = cache.get(request.url, version);
    if (!hit) {
      request.pageCacheKey = { key: request.url, version };
      return;
    }
    const wanted = encodingFor(request.headers['accept-encoding']);
    const encoding = wanted && hit[wanted] ? wanted : null;
    // Each encoding is a different representation, so it has its own validator.
    const etag = encoding ? `${hit.etag.slice(0, -1)}-${encoding}"` : hit.etag;
    reply.header('etag', etag).header('cache-control', 'no-cache').header('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    if (encoding) reply.header('content-encoding', encoding);
    return reply.type(hit.type).send(encoding ? hit[encoding]! : hit.body);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const key = request.pageCacheKey;
    if (!key || reply.statusCode !== 200 || typeof payload !== 'string' || reply.hasHeader('set-cookie')) return payload;
    const etag = cache.set(key.key, key.version, payload, String(reply.getHeader('content-type') ?? 'text/html; charset=utf-8'));
    reply.header('etag', etag).header('cache-control', 'no-cache').header('vary', 'accept-encoding');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (unsafeMethods.has(request.method) && reply.statusCode < 400) cache.invalidate();
  });
}
