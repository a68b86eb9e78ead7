import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../src/platform/audit/audit.ts';
import { queryRows } from '../src/platform/db/database.ts';
import { setStatus } from '../src/capabilities/community-voice/campaigns.ts';
import { loadWiganPlaces, sampleCampaign } from '../src/capabilities/community-voice/testing.ts';
import { proposals } from '../src/capabilities/funds/schema.ts';
import { sampleFund } from '../src/capabilities/funds/testing.ts';
import { generateCodes } from '../src/capabilities/funds/voting.ts';
import { engines } from './support/engines.ts';
import { Client, emailOf, useSeededApp } from './support/app.ts';
import { awkwardTexts, deepJson, formulaCells, hostileCell, markupPayloads, tableCounts } from './support/hostile.ts';
import { fuzzRuns, fuzzSeed, fuzzTimeout } from './support/profile.ts';

/**
 * Every form an anonymous visitor may post (the route matrix's rows where anonymous may POST), sent generated
 * bodies: huge fields, markup, formula cells, awkward text, lists where one value is expected, unknown and
 * missing fields. Each answer is a clear refusal (400, or 403/404/409/413/415/429 where that fits) that writes
 * nothing, or a success; never a 500, and never a markup payload shown unescaped. Wrong content types, oversized
 * bodies and deeply nested JSON are refused the same way.
 */
const runs = fuzzRuns(15, 300);
const tables = ['voice_responses', 'voice_answers', 'directory_suggestions', 'proposals', 'ballots', 'voting_codes', 'sessions', 'users', 'memberships'];
const refusals = [400, 403, 404, 409, 413, 415, 429];

/** Raw markup a page must never echo as markup. */
const unescaped = ['<script>alert(1)</script>', '<img src=x onerror', '<svg onload'];

const value: fc.Arbitrary<string | string[]> = fc.oneof(
  { arbitrary: fc.constantFrom('WN1 1AA', 'Sample text', 'yes', '1', 'ballot', 'email', 'code', 'correct horse battery staple', 'a@example.org'), weight: 4 },
  { arbitrary: fc.constantFrom(...markupPayloads, ...formulaCells, ...awkwardTexts), weight: 3 },
  { arbitrary: hostileCell, weight: 2 },
  { arbitrary: fc.string({ minLength: 10_000, maxLength: 20_000 }), weight: 1 },
  { arbitrary: fc.array(fc.oneof(fc.constantFrom('1', '2', 'WN1 1AA'), hostileCell), { minLength: 2, maxLength: 4 }), weight: 2 },
);

describe.each(engines)('public forms on %s', (engine) => {
  const h = useSeededApp(engine);
  const forms: { url: string; page: string; fields: string[] }[] = [];
  let address = 0;
  const counts = () => tableCounts(h.database.db, tables);

  beforeAll(async () => {
    const db = h.database.db;
    await loadWiganPlaces(db);
    const { campaign, questions } = await sampleCampaign(db, h.seed.organisationId);
    await setStatus(db, campaign, 'open', cliActor);
    const { round: proposing } = await sampleFund(db, h.seed.organisationId, { phase: 'proposals' });
    const { round: voting } = await sampleFund(db, h.seed.organisationId, { phase: 'voting', votingMethod: 'approval-budget', budgetPence: 10_000 });
    await db.insert(proposals).values([1, 2].map((number) => ({ roundId: voting.id, number, title: `Project ${number} (sample data)`, summary: 'Sample data', amountPence: 1_000, applicantKind: 'community-group' as const, groupName: `Group ${number}`, status: 'shortlisted' as const })));
    const { codes } = await generateCodes(db, voting, 5, h.seed.organisationId, cliActor);
    const answer = questions.flatMap((q) => [`q-${q.id}`, `answer-${q.id}`, `comment-${q.id}`, `q${q.position}`]);
    forms.push(
      { url: '/sign-in', page: '/sign-in', fields: ['email', 'password', 'next'] },
      { url: '/directory/suggest', page: '/directory/suggest', fields: ['name', 'category', 'description', 'postcode', 'address', 'when', 'contact', 'email', 'website'] },
      { url: `/have-your-say/${campaign.id}`, page: `/have-your-say/${campaign.id}`, fields: [...answer, 'postcode', 'neighbourhood', 'demographics-consent', 'website', 'contact-email'] },
      { url: `/budgets/${proposing.id}/propose`, page: `/budgets/${proposing.id}/propose`, fields: ['title', 'summary', 'amount', 'groupName', 'applicantKind', 'contactName', 'contactEmail', 'postcode', 'website'] },
      { url: `/budgets/${voting.id}/vote`, page: `/budgets/${voting.id}/vote`, fields: ['step', 'code', 'postcode', 'email', 'choices', 'rank-1', 'token', ...codes.slice(0, 1).map(() => 'code')] },
      { url: '/invitations/not-a-token', page: '/sign-in', fields: ['name', 'password', 'confirm'] },
      { url: '/sign-out', page: '/sign-in', fields: [] },
    );
  });

  /** A fresh visitor (a new address, so rate limits are per visitor as in life) with a CSRF token from the form's page. */
  async function visitor(page: string): Promise<{ client: Client; remoteAddress: string }> {
    const client = new Client(h.app);
    await client.get(page);
    if (!client.csrfToken) await client.get('/sign-in');
    address++;
    return { client, remoteAddress: `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address & 255}` };
  }

  const send = (client: Client, remoteAddress: string, url: string, payload: string | Buffer, contentType: string): Promise<LightMyRequestResponse> =>
    h.app.inject({
      method: 'POST',
      url,
      payload,
      remoteAddress,
      headers: { 'content-type': contentType, 'x-csrf-token': client.csrfToken ?? '', cookie: `pw_csrf=${client.cookie('pw_csrf') ?? ''}` },
    });

  /** Never a 500, never raw markup; a refusal writes nothing. */
  function judge(response: LightMyRequestResponse, before: string, after: string, what: string): void {
    expect(response.statusCode, `${what}: ${response.body.slice(0, 300)}`).not.toBeGreaterThanOrEqual(500);
    expect([200, 302, 303, ...refusals], what).toContain(response.statusCode);
    for (const raw of unescaped) expect(response.body.includes(raw), `${what} shows ${raw} unescaped`).toBe(false);
    if (response.statusCode >= 400) {
      expect(after, `${what} was refused but wrote something`).toBe(before);
      if (response.statusCode !== 404 && response.statusCode !== 403) expect(response.body.length, `${what}: a refusal says why`).toBeGreaterThan(0);
    }
  }

  it('answers generated form bodies with a clear refusal or a success, never a 500 or unescaped markup', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.func(fc.boolean()),
        fc.dictionary(fc.oneof(fc.constantFrom('unknown', '__proto__', 'constructor', '_csrf[]'), fc.string({ maxLength: 20 })), value, { maxKeys: 3 }),
        fc.array(value, { minLength: 12, maxLength: 12 }),
        async (which, keep, unknown, values) => {
          const form = forms[which % forms.length]!;
          const body: Record<string, string | string[]> = { ...unknown };
          form.fields.forEach((f, i) => {
            if (keep(f)) body[f] = values[i % values.length]!;
          });
          const { client, remoteAddress } = await visitor(form.page);
          const encoded = new URLSearchParams(Object.entries({ _csrf: client.csrfToken!, ...body }).flatMap(([k, v]) => [v].flat().map((one) => [k, one]))).toString();
          const before = await counts();
          const response = await send(client, remoteAddress, form.url, encoded, 'application/x-www-form-urlencoded');
          judge(response, before, await counts(), `POST ${form.url}`);
        },
      ),
      { numRuns: runs * forms.length, seed: fuzzSeed(71) },
    );
  }, fuzzTimeout(180_000));

  it('stores a suggestion exactly as sent, markup and all, and shows it escaped to the coordinator', async () => {
    const coordinator = new Client(h.app);
    expect((await coordinator.signIn(emailOf('coordinator'))).statusCode).toBe(303);
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...markupPayloads, ...formulaCells, 'Café \u202e Côté', '٣٤٥ group'), fc.string({ maxLength: 200 }), async (name, description) => {
        fc.pre(!description.includes('\u0000') && name.trim() !== '');
        const { client, remoteAddress } = await visitor('/directory/suggest');
        const sent = { name, description, postcode: 'WN1 1AA' };
        const encoded = new URLSearchParams({ _csrf: client.csrfToken!, ...sent }).toString();
        const before = await counts();
        const response = await send(client, remoteAddress, '/directory/suggest', encoded, 'application/x-www-form-urlencoded');
        judge(response, before, await counts(), 'POST /directory/suggest');
        if (response.statusCode !== 303) return;
        const [row] = await queryRows<{ id: string; proposed: Record<string, string> }>(h.database.db, sql`select id, proposed from directory_suggestions order by created_at desc, id limit 1`);
        expect(row!.proposed.name).toBe(name.trim());
        stored++;
        const page = await coordinator.get(`/organisations/test-org/directory/suggestions/${row!.id}`);
        expect(page.statusCode).toBe(200);
        for (const raw of unescaped) expect(page.body.includes(raw)).toBe(false);
      }),
      { numRuns: runs, seed: fuzzSeed(72) },
    );
    expect(stored).toBeGreaterThan(0);
  }, fuzzTimeout(60_000));

  it('refuses wrong content types, oversized bodies and deeply nested JSON without a 500, writing nothing', async () => {
    for (const form of forms) {
      const cases: [string, string | Buffer, string][] = [
        ['deep JSON', deepJson(100_000), 'application/json'],
        ['deep JSON object', `{"name": ${deepJson(50_000)}}`, 'application/json'],
        ['broken JSON', '{"name": "x', 'application/json'],
        ['plain text', 'name=x', 'text/plain'],
        ['XML', '<?xml version="1.0"?><name>x</name>', 'application/xml'],
        ['oversized form', `name=${'x'.repeat(1024 * 1024 + 10)}`, 'application/x-www-form-urlencoded'],
        ['binary', Buffer.from([0, 255, 254, 0, 1]), 'application/octet-stream'],
        ['broken multipart', '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nx', 'multipart/form-data; boundary=x'],
      ];
      for (const [what, payload, type] of cases) {
        const { client, remoteAddress } = await visitor(form.page);
        const before = await counts();
        const response = await send(client, remoteAddress, form.url, payload, type);
        judge(response, before, await counts(), `${what} to ${form.url}`);
        // Signing out reads no fields, so any body signs out.
        if (form.url !== '/sign-out') expect(response.statusCode, `${what} to ${form.url}`).toBeGreaterThanOrEqual(400);
      }
    }
  }, fuzzTimeout(120_000));
});
