import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, engines, type TestDatabase } from './support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp, visitors, type Visitor } from './support/app.ts';
import { partnershipOrganisations, partnerships } from '../src/capabilities/partnerships/schema.ts';
import { voiceCampaigns, voiceQuestions } from '../src/capabilities/community-voice/schema.ts';
import { supportTeamMembers, supportTeams } from '../src/capabilities/supporting-people/schema.ts';
import { samplePerson } from '../src/capabilities/supporting-people/testing.ts';

/**
 * The route permission matrix: what every kind of visitor gets from every route. A route added without
 * a line here fails this test, so nobody can add a page without deciding who may see it.
 *
 * POSTs are sent with a valid CSRF token and an empty form: an allowed visitor gets the form's
 * validation answer (400) and nothing changes; a refused one gets 401/403 before validation runs.
 */
type Row = Record<Visitor, number>;
const everyone = (status: number): Row => Object.fromEntries(visitors.map((v) => [v, status])) as Row;
const signedIn = (anonymous: number, status: number): Row => ({ ...everyone(status), anonymous });
/** Site admins, and members of test-org with at least `least`, get `allowed`; other signed-in people 403. */
const orgRole = (least: Visitor, anonymous: number, allowed: number): Row => {
  const order: Visitor[] = ['viewer', 'member', 'coordinator', 'admin'];
  const row = { ...everyone(403), anonymous, 'site-admin': allowed };
  for (const role of order.slice(order.indexOf(least))) row[role] = allowed;
  return row;
};
/** A supported person's record: only their coordinator (coordinator@ here) gets `allowed`; everyone else is told it is not there. */
const supportRecord = (anonymous: number, allowed: number): Row => ({ ...everyone(404), anonymous, coordinator: allowed });
const siteAdmin = (anonymous: number, allowed: number): Row => ({ ...everyone(403), anonymous, 'site-admin': allowed });

const expected: Record<string, Row> = {
  'GET /': everyone(200),
  'GET /about/data': everyone(200),
  // Open data, so public; with nothing loaded they say so (404).
  'GET /areas': everyone(404),
  'GET /areas/:code': everyone(404),
  'GET /areas/:code/profile.pdf': everyone(404),
  'GET /tiles/:layer/:z/:x/:y.mvt': everyone(404),
  'GET /indicators': everyone(200),
  // A well-formed id that does not exist: the same 404 whoever asks, as for one not shared with them.
  'GET /indicators/:id': everyone(404),
  'GET /organisations/:slug/indicators/new': orgRole('member', 302, 200),
  'POST /organisations/:slug/indicators': orgRole('member', 401, 400),
  'GET /composite-indexes': everyone(200),
  'GET /composite-indexes/:indexId': everyone(404),
  'GET /organisations/:slug/composite-indexes/new': orgRole('member', 302, 200),
  'POST /organisations/:slug/composite-indexes': orgRole('member', 401, 400),
  'GET /neighbourhoods': everyone(200),
  'GET /neighbourhoods/:neighbourhoodId': everyone(404),
  // Comparing footprints: with nothing asked, the form for everyone; the API needs two geographies (400).
  'GET /neighbourhoods/overlap': everyone(200),
  'GET /api/v1/overlap': everyone(400),
  'GET /organisations/:slug/neighbourhoods/new': orgRole('member', 302, 200),
  'POST /organisations/:slug/neighbourhoods': orgRole('member', 401, 400),
  // A new version of a neighbourhood the organisation does not own (here none): not found for those let in.
  'GET /organisations/:slug/neighbourhoods/:neighbourhoodId/versions/new': orgRole('member', 302, 404),
  'POST /organisations/:slug/neighbourhoods/:neighbourhoodId/versions/new': orgRole('member', 401, 404),
  // Layers of areas: importing one is for members; a layer not there (or not shared) is the same 404 for everyone.
  'GET /organisations/:slug/neighbourhood-layers/new': orgRole('member', 302, 200),
  'POST /organisations/:slug/neighbourhood-layers/new': orgRole('member', 401, 400),
  'GET /neighbourhood-layers/:layerId': everyone(404),
  'GET /api/v1/neighbourhood-layers/:layerId': everyone(404),
  // Asking residents: anyone may answer an open question or list them; a question not there is the same 404 for
  // everyone, as is the summary of one not shared with them. Opening, closing and saving are for members.
  'GET /resident-mapping': everyone(200),
  'GET /resident-mapping/:mappingId': everyone(404),
  'GET /api/v1/resident-mapping/:mappingId': everyone(404),
  'GET /have-your-say/neighbourhood/:mappingId': everyone(404),
  'POST /have-your-say/neighbourhood/:mappingId': everyone(404),
  'GET /have-your-say/neighbourhood/:mappingId/thanks': everyone(404),
  'GET /organisations/:slug/resident-mapping/new': orgRole('member', 302, 200),
  'POST /organisations/:slug/resident-mapping': orgRole('member', 401, 400),
  'POST /organisations/:slug/resident-mapping/:mappingId/open': orgRole('member', 401, 400),
  'POST /organisations/:slug/resident-mapping/:mappingId/neighbourhood': orgRole('member', 401, 404),
  // Community assets: the directory and a record's page are public (a record not there is the same 404 for
  // everyone, as is suggesting a correction to it); anyone may suggest an asset. Partners' pages are for members,
  // merging, categories and deciding suggestions for coordinators; a record or suggestion that is not the
  // organisation's is not found.
  'GET /directory': everyone(200),
  'GET /directory/results.geojson': everyone(200),
  'GET /directory/services/:serviceId': everyone(404),
  'GET /directory/services/:serviceId/suggest': everyone(404),
  'POST /directory/services/:serviceId/suggest': everyone(404),
  'GET /directory/suggest': everyone(200),
  'POST /directory/suggest': everyone(400),
  'GET /directory/suggest/thanks': everyone(200),
  'GET /organisations/:slug/directory': orgRole('member', 302, 200),
  'GET /organisations/:slug/directory/services/new': orgRole('member', 302, 200),
  'POST /organisations/:slug/directory/services/new': orgRole('member', 401, 400),
  'GET /organisations/:slug/directory/services/:serviceId/edit': orgRole('member', 302, 404),
  'POST /organisations/:slug/directory/services/:serviceId/edit': orgRole('member', 401, 404),
  'POST /organisations/:slug/directory/services/:serviceId/checked': orgRole('member', 401, 404),
  'GET /organisations/:slug/directory/services/:serviceId/merge': orgRole('coordinator', 302, 404),
  'POST /organisations/:slug/directory/services/:serviceId/merge': orgRole('coordinator', 401, 404),
  'GET /organisations/:slug/directory/categories': orgRole('coordinator', 302, 200),
  'POST /organisations/:slug/directory/categories': orgRole('coordinator', 401, 400),
  'GET /organisations/:slug/directory/suggestions': orgRole('coordinator', 302, 200),
  'GET /organisations/:slug/directory/suggestions/:suggestionId': orgRole('coordinator', 302, 404),
  'GET /organisations/:slug/directory/suggestions/:suggestionId/accept': orgRole('coordinator', 302, 404),
  'POST /organisations/:slug/directory/suggestions/:suggestionId/accept': orgRole('coordinator', 401, 404),
  'POST /organisations/:slug/directory/suggestions/:suggestionId/merge': orgRole('coordinator', 401, 404),
  'POST /organisations/:slug/directory/suggestions/:suggestionId/reject': orgRole('coordinator', 401, 404),
  // Gaps against need: public (assets and deprivation are open data); with nothing chosen, the form.
  'GET /directory/gaps': everyone(200),
  'GET /api/v1/directory/gaps': everyone(400),
  // The Open Referral UK API and the CSV template are public; a service not there is a 404 for everyone.
  // Importing can overwrite many records at once, so it is for coordinators; exporting for members.
  'GET /api/v1/oruk': everyone(200),
  'GET /api/v1/oruk/services': everyone(200),
  'GET /api/v1/oruk/services/': everyone(200),
  'GET /api/v1/oruk/services/:id': everyone(404),
  'GET /api/v1/oruk/taxonomies': everyone(200),
  'GET /directory/template.csv': everyone(200),
  'GET /organisations/:slug/directory/import': orgRole('coordinator', 302, 200),
  'POST /organisations/:slug/directory/import': orgRole('coordinator', 401, 400),
  'GET /organisations/:slug/directory/export': orgRole('member', 302, 200),
  // Partnerships: test-org leads one here, so its people get in by role and everyone else is refused; its
  // public page is a 404 until it is published.
  'GET /partnerships': everyone(200),
  'GET /organisations/:slug/partnerships/new': orgRole('coordinator', 302, 200),
  'POST /organisations/:slug/partnerships/new': orgRole('coordinator', 401, 400),
  'GET /partnerships/:partnershipId': orgRole('viewer', 302, 200),
  'POST /partnerships/:partnershipId/checklist': orgRole('member', 401, 400),
  'POST /partnerships/:partnershipId/stage': orgRole('member', 401, 400),
  'POST /partnerships/:partnershipId/organisations': orgRole('coordinator', 401, 400),
  'POST /partnerships/:partnershipId/people': orgRole('member', 401, 400),
  'GET /partnerships/:partnershipId/public-summary': orgRole('member', 302, 200),
  'POST /partnerships/:partnershipId/public-summary': orgRole('member', 401, 400),
  'GET /partnerships/:partnershipId/public': everyone(404),
  // The plan: a priority, action or aim not there is a 404 for those let in.
  'GET /partnerships/:partnershipId/plan': orgRole('viewer', 302, 200),
  'GET /partnerships/:partnershipId/priorities/new': orgRole('member', 302, 200),
  'POST /partnerships/:partnershipId/priorities/new': orgRole('member', 401, 400),
  'GET /partnerships/:partnershipId/priorities/:priorityId/evidence': orgRole('member', 302, 404),
  'POST /partnerships/:partnershipId/priorities/:priorityId/evidence': orgRole('member', 401, 404),
  'GET /partnerships/:partnershipId/actions/new': orgRole('member', 302, 200),
  'POST /partnerships/:partnershipId/actions/new': orgRole('member', 401, 400),
  'GET /partnerships/:partnershipId/actions/:actionId': orgRole('viewer', 302, 404),
  'GET /partnerships/:partnershipId/actions/:actionId/edit': orgRole('member', 302, 404),
  'POST /partnerships/:partnershipId/actions/:actionId/edit': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/actions/:actionId/updates': orgRole('member', 401, 404),
  // Meetings and the board report: a meeting not there is a 404 for those let in.
  'GET /partnerships/:partnershipId/meetings': orgRole('viewer', 302, 200),
  'GET /partnerships/:partnershipId/meetings/new': orgRole('member', 302, 200),
  'POST /partnerships/:partnershipId/meetings/new': orgRole('member', 401, 400),
  'GET /partnerships/:partnershipId/meetings/:meetingId': orgRole('viewer', 302, 404),
  'POST /partnerships/:partnershipId/meetings/:meetingId/decisions': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/meetings/:meetingId/actions': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/meetings/:meetingId/notes': orgRole('member', 401, 404),
  'GET /partnerships/:partnershipId/report': orgRole('viewer', 302, 200),
  'GET /partnerships/:partnershipId/report.pdf': orgRole('viewer', 302, 200),
  'GET /partnerships/:partnershipId/report.csv': orgRole('viewer', 302, 200),
  'GET /aims': signedIn(302, 200),
  'GET /organisations/:slug/aims/new': orgRole('coordinator', 302, 200),
  'POST /organisations/:slug/aims/new': orgRole('coordinator', 401, 400),
  'GET /aims/:aimId': signedIn(302, 404),
  'GET /my-actions': signedIn(302, 200),
  'POST /my-actions/digest': signedIn(401, 303),
  // Community voice, for a real open campaign of test-org that takes public answers (not published): viewers read,
  // members capture, coordinators manage; anyone may answer it. A response or theme not there is 404 for those let in.
  'GET /organisations/:slug/voice': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/voice/new': orgRole('coordinator', 302, 200),
  'POST /organisations/:slug/voice/new': orgRole('coordinator', 401, 400),
  'GET /organisations/:slug/voice/:campaignId': orgRole('viewer', 302, 200),
  'POST /organisations/:slug/voice/:campaignId/status': orgRole('coordinator', 401, 400),
  'POST /organisations/:slug/voice/:campaignId/publish': orgRole('coordinator', 401, 400),
  'GET /organisations/:slug/voice/:campaignId/questions/new': orgRole('coordinator', 302, 200),
  'POST /organisations/:slug/voice/:campaignId/questions/new': orgRole('coordinator', 401, 400),
  'GET /organisations/:slug/voice/:campaignId/responses': orgRole('member', 302, 200),
  'GET /organisations/:slug/voice/:campaignId/responses/:responseId': orgRole('member', 302, 404),
  'GET /organisations/:slug/voice/:campaignId/contacts': orgRole('coordinator', 302, 200),
  'POST /organisations/:slug/voice/:campaignId/contacts/:responseId/erase': orgRole('coordinator', 401, 404),
  'GET /organisations/:slug/voice/:campaignId/capture': orgRole('member', 302, 200),
  'POST /organisations/:slug/voice/:campaignId/capture': orgRole('member', 401, 400),
  'POST /organisations/:slug/voice/:campaignId/sync': orgRole('member', 401, 400),
  'GET /organisations/:slug/voice/:campaignId/import': orgRole('coordinator', 302, 200),
  'POST /organisations/:slug/voice/:campaignId/import': orgRole('coordinator', 401, 400),
  'GET /organisations/:slug/voice/:campaignId/template.csv': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/voice/:campaignId/responses.csv': orgRole('coordinator', 302, 200),
  'GET /organisations/:slug/voice/themes': orgRole('viewer', 302, 200),
  'POST /organisations/:slug/voice/themes': orgRole('coordinator', 401, 400),
  'GET /organisations/:slug/voice/themes/:themeId/edit': orgRole('coordinator', 302, 404),
  'POST /organisations/:slug/voice/themes/:themeId/edit': orgRole('coordinator', 401, 404),
  'GET /organisations/:slug/voice/themes/:themeId/remove': orgRole('coordinator', 302, 404),
  'POST /organisations/:slug/voice/themes/:themeId/remove': orgRole('coordinator', 401, 404),
  'GET /organisations/:slug/voice/:campaignId/responses/:responseId/tag': orgRole('coordinator', 302, 404),
  'POST /organisations/:slug/voice/:campaignId/responses/:responseId/tag': orgRole('coordinator', 401, 404),
  'GET /organisations/:slug/voice/:campaignId/themes': orgRole('coordinator', 302, 200),
  'POST /organisations/:slug/voice/:campaignId/themes/add': orgRole('coordinator', 401, 400),
  'POST /organisations/:slug/voice/:campaignId/themes/tag': orgRole('coordinator', 401, 400),
  'GET /organisations/:slug/voice/:campaignId/results': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/voice/:campaignId/results.csv': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/voice/:campaignId/representation': orgRole('viewer', 302, 200),
  // The campaign names no district, so the download needs an area chosen (the page asks for one).
  'GET /organisations/:slug/voice/:campaignId/representation.csv': orgRole('viewer', 302, 400),
  // Not a Place Standard campaign: not there, for those let in.
  'GET /organisations/:slug/voice/:campaignId/place-standard': orgRole('viewer', 302, 404),
  'GET /have-your-say': everyone(200),
  'GET /have-your-say/:campaignId': everyone(200),
  'POST /have-your-say/:campaignId': everyone(400),
  'GET /have-your-say/:campaignId/thanks': everyone(200),
  // Public summaries: the list for everyone; an unpublished campaign's summary is not there.
  'GET /voice': everyone(200),
  'GET /voice/:campaignId': everyone(404),
  // Funds, rounds, proposals, voting, grants and allocations: ids that are not there (404 for those let in), so the
  // rows check who is let in; the funds tests check each page with real rounds in every phase.
  'GET /organisations/:slug/funds': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/funds/new': orgRole('coordinator', 302, 200),
  'POST /organisations/:slug/funds/new': orgRole('coordinator', 401, 400),
  'GET /organisations/:slug/funds/:fundId': orgRole('viewer', 302, 404),
  'GET /organisations/:slug/funds/:fundId/rounds/new': orgRole('coordinator', 302, 404),
  'POST /organisations/:slug/funds/:fundId/rounds/new': orgRole('coordinator', 401, 404),
  'GET /organisations/:slug/funds/:fundId/rounds/:roundId': orgRole('viewer', 302, 404),
  'POST /organisations/:slug/funds/:fundId/rounds/:roundId/phase': orgRole('coordinator', 401, 404),
  'GET /organisations/:slug/funds/:fundId/rounds/:roundId/proposals/:proposalId': orgRole('member', 302, 404),
  'POST /organisations/:slug/funds/:fundId/rounds/:roundId/proposals/:proposalId/decision': orgRole('coordinator', 401, 404),
  'GET /organisations/:slug/funds/:fundId/rounds/:roundId/codes': orgRole('coordinator', 302, 404),
  'POST /organisations/:slug/funds/:fundId/rounds/:roundId/codes': orgRole('coordinator', 401, 404),
  'POST /organisations/:slug/funds/:fundId/rounds/:roundId/codes/withdraw': orgRole('coordinator', 401, 404),
  'GET /organisations/:slug/funds/:fundId/rounds/:roundId/paper-ballot': orgRole('member', 302, 404),
  'POST /organisations/:slug/funds/:fundId/rounds/:roundId/paper-ballot': orgRole('member', 401, 404),
  'POST /organisations/:slug/funds/:fundId/rounds/:roundId/count': orgRole('coordinator', 401, 404),
  'POST /organisations/:slug/funds/:fundId/rounds/:roundId/award': orgRole('coordinator', 401, 404),
  'GET /budgets': everyone(200),
  'GET /budgets/:roundId': everyone(404),
  'GET /budgets/:roundId/propose': everyone(404),
  'POST /budgets/:roundId/propose': everyone(404),
  'GET /budgets/:roundId/proposed': everyone(404),
  'GET /budgets/:roundId/vote': everyone(404),
  'POST /budgets/:roundId/vote': everyone(404),
  'GET /budgets/:roundId/vote/email/:token': everyone(404),
  'GET /budgets/:roundId/vote/done': everyone(404),
  'GET /budgets/:roundId/results': everyone(404),
  'GET /budgets/:roundId/ballots.csv': everyone(404),
  'GET /budgets/:roundId/ballots.json': everyone(404),
  'GET /budgets/:roundId/delivery': everyone(404),
  'GET /organisations/:slug/grants': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/grants/new': orgRole('coordinator', 302, 200),
  'POST /organisations/:slug/grants/new': orgRole('coordinator', 401, 400),
  'GET /organisations/:slug/grants/:grantId': orgRole('viewer', 302, 404),
  'GET /organisations/:slug/grants/:grantId/reports/new': orgRole('member', 302, 404),
  'POST /organisations/:slug/grants/:grantId/reports/new': orgRole('member', 401, 404),
  'GET /organisations/:slug/allocations': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/allocations/new': orgRole('member', 302, 200),
  'POST /organisations/:slug/allocations/new': orgRole('member', 401, 400),
  // The page and its CSV (an id ending .csv) are one route, so they cannot disagree about who may see them.
  'GET /organisations/:slug/allocations/:scenarioId': orgRole('viewer', 302, 404),
  'GET /grants': everyone(200),
  'GET /grants/360giving.json': everyone(200),
  'GET /grants/360giving.csv': everyone(200),
  'GET /assets/:name': everyone(200),
  'GET /healthz': everyone(200),
  'GET /api/v1/openapi.json': everyone(200),
  'GET /sign-in': { ...everyone(303), anonymous: 200 },
  'POST /sign-in': everyone(400),
  'GET /account': signedIn(302, 200),
  'POST /account/password': signedIn(401, 400),
  'GET /invitations/:token': everyone(404),
  'POST /invitations/:token': everyone(404),
  'GET /api/v1/me': signedIn(401, 200),
  'GET /organisations': everyone(200),
  'GET /organisations/new': siteAdmin(302, 200),
  'POST /organisations': siteAdmin(401, 400),
  'GET /organisations/:slug': everyone(200),
  'GET /organisations/:slug/edit': orgRole('admin', 302, 200),
  'POST /organisations/:slug': orgRole('admin', 401, 400),
  'GET /organisations/:slug/members': orgRole('viewer', 302, 200),
  'POST /organisations/:slug/members': orgRole('admin', 401, 400),
  'POST /organisations/:slug/members/:userId/role': orgRole('admin', 401, 400),
  'POST /organisations/:slug/members/:userId/remove': orgRole('admin', 401, 400),
  'GET /api/v1/organisations': everyone(200),
  'GET /api/v1/organisations/:slug': everyone(200),
  'GET /api/v1/editions': everyone(200),
  'GET /api/v1/editions/:edition/lads': everyone(404),
  'GET /api/v1/areas/:code': everyone(404),
  'GET /api/v1/areas/:code/lsoas': everyone(404),
  'GET /api/v1/areas/:code/wards': everyone(404),
  'GET /api/v1/areas/:code/change': everyone(400),
  // Local data and composite indexes: lists answer everyone (with what is shared with them); one not there,
  // or not shared, is the same 404; an area's local data needs an edition loaded.
  'GET /api/v1/indicators': everyone(200),
  'GET /api/v1/indicators/:id': everyone(404),
  'GET /api/v1/areas/:code/local-data': everyone(404),
  'GET /api/v1/composite-indexes': everyone(200),
  'GET /api/v1/composite-indexes/:indexId': everyone(404),
  'GET /api/v1/neighbourhoods': everyone(200),
  'GET /api/v1/neighbourhoods/:neighbourhoodId': everyone(404),
  // Supporting people: personal records follow support-team membership, not organisation role. Here coordinator@ is
  // the sample person's coordinator in a team (and no team's lead); nobody else — admins included — is told the
  // record exists. Team pages are for the team's leads. Organisation admins set teams up; partnership members see
  // suppressed counts only. (The full matrix, with leads, other teams and shared colleagues: supporting-people/
  // records-matrix.test.ts.)
  'GET /support': { ...orgRole('coordinator', 302, 403), coordinator: 200, admin: 403 },
  'GET /support/people/new': { ...orgRole('coordinator', 302, 403), coordinator: 200, admin: 403 },
  'POST /support/people/new': { ...orgRole('coordinator', 401, 403), coordinator: 400, admin: 403 },
  'GET /support/teams/:teamId': { ...everyone(404), anonymous: 302, coordinator: 403 },
  'GET /support/teams/:teamId/retention': { ...everyone(404), anonymous: 302, coordinator: 403 },
  'POST /support/teams/:teamId/retention/:personId/keep': { ...everyone(404), anonymous: 401, coordinator: 403 },
  'GET /support/people/:personId': supportRecord(302, 200),
  'GET /support/people/:personId/edit': supportRecord(302, 200),
  'POST /support/people/:personId/edit': supportRecord(401, 400),
  'GET /support/people/:personId/introductions/new': supportRecord(302, 200),
  'POST /support/people/:personId/introductions/new': supportRecord(401, 400),
  'GET /support/people/:personId/close': supportRecord(302, 200),
  'POST /support/people/:personId/close': supportRecord(401, 400),
  // Reopening a record that is open changes nothing and says so.
  'POST /support/people/:personId/reopen': supportRecord(401, 303),
  // Changing the coordinator is for the team's leads only.
  'GET /support/people/:personId/coordinator': supportRecord(302, 403),
  'POST /support/people/:personId/coordinator': supportRecord(401, 403),
  'GET /support/people/:personId/conversations': supportRecord(302, 200),
  'GET /support/people/:personId/conversations/new': supportRecord(302, 200),
  'POST /support/people/:personId/conversations': supportRecord(401, 400),
  // A step, goal, connection or share that is not the person's: not found, whoever asks.
  'POST /support/people/:personId/next-steps/:stepId/done': supportRecord(401, 404),
  'GET /support/people/:personId/goals/new': supportRecord(302, 200),
  'POST /support/people/:personId/goals': supportRecord(401, 400),
  'GET /support/people/:personId/goals/:goalId/progress': supportRecord(302, 404),
  'POST /support/people/:personId/goals/:goalId/progress': supportRecord(401, 404),
  'GET /support/people/:personId/goals/:goalId/status': supportRecord(302, 404),
  'POST /support/people/:personId/goals/:goalId/status': supportRecord(401, 404),
  'GET /support/people/:personId/connections': supportRecord(302, 200),
  'GET /support/people/:personId/connections/new': supportRecord(302, 200),
  'POST /support/people/:personId/connections': supportRecord(401, 400),
  'GET /support/people/:personId/connections/:connectionId/outcome': supportRecord(302, 404),
  'POST /support/people/:personId/connections/:connectionId/outcome': supportRecord(401, 404),
  'GET /support/people/:personId/wellbeing': supportRecord(302, 200),
  'GET /support/people/:personId/wellbeing/new': supportRecord(302, 200),
  'POST /support/people/:personId/wellbeing/new': supportRecord(401, 400),
  'GET /support/people/:personId/privacy': supportRecord(302, 200),
  'POST /support/people/:personId/shares': supportRecord(401, 400),
  'POST /support/people/:personId/shares/:shareId/revoke': supportRecord(401, 404),
  'GET /support/people/:personId/access': supportRecord(302, 200),
  'GET /support/people/:personId/export': supportRecord(302, 200),
  'GET /support/people/:personId/export.json': supportRecord(302, 200),
  'GET /support/people/:personId/erase': supportRecord(302, 200),
  'POST /support/people/:personId/erase': supportRecord(401, 400),
  'GET /organisations/:slug/support-teams': orgRole('admin', 302, 200),
  'POST /organisations/:slug/support-teams': orgRole('admin', 401, 400),
  'GET /organisations/:slug/support-teams/:teamId': orgRole('admin', 302, 200),
  'POST /organisations/:slug/support-teams/:teamId/members': orgRole('admin', 401, 400),
  'POST /organisations/:slug/support-teams/:teamId/members/:userId/remove': orgRole('admin', 401, 404),
  'GET /partnerships/:partnershipId/support': orgRole('viewer', 302, 200),
  'GET /partnerships/:partnershipId/support.csv': orgRole('viewer', 302, 200),
  // Impact: a partnership's members read (viewer) and change (member); ids that are not the partnership's are 404.
  'GET /partnerships/:partnershipId/impact': orgRole('viewer', 302, 200),
  'GET /partnerships/:partnershipId/impact/outcomes/new': orgRole('member', 302, 200),
  'POST /partnerships/:partnershipId/impact/outcomes/new': orgRole('member', 401, 400),
  'GET /partnerships/:partnershipId/impact/outcomes/:outcomeId': orgRole('viewer', 302, 404),
  'GET /partnerships/:partnershipId/impact/outcomes/:outcomeId/edit': orgRole('member', 302, 404),
  'POST /partnerships/:partnershipId/impact/outcomes/:outcomeId/edit': orgRole('member', 401, 404),
  'GET /partnerships/:partnershipId/impact/outcomes/:outcomeId/measures/new': orgRole('member', 302, 404),
  'POST /partnerships/:partnershipId/impact/outcomes/:outcomeId/measures': orgRole('member', 401, 404),
  'GET /partnerships/:partnershipId/impact/outcomes/:outcomeId/measures/:measureId/edit': orgRole('member', 302, 404),
  'POST /partnerships/:partnershipId/impact/outcomes/:outcomeId/measures/:measureId/edit': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/impact/outcomes/:outcomeId/measures/:measureId/measurements': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/impact/outcomes/:outcomeId/measures/:measureId/measurements/:measurementId/delete': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/impact/outcomes/:outcomeId/measures/:measureId/refresh': orgRole('member', 401, 404),
  'GET /partnerships/:partnershipId/impact/stories': orgRole('viewer', 302, 200),
  'GET /partnerships/:partnershipId/impact/stories/new': orgRole('member', 302, 200),
  'POST /partnerships/:partnershipId/impact/stories/new': orgRole('member', 401, 400),
  'GET /partnerships/:partnershipId/impact/stories/:storyId': orgRole('viewer', 302, 404),
  'GET /partnerships/:partnershipId/impact/stories/:storyId/edit': orgRole('member', 302, 404),
  'POST /partnerships/:partnershipId/impact/stories/:storyId/edit': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/impact/stories/:storyId/publish': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/impact/stories/:storyId/unpublish': orgRole('member', 401, 404),
  'GET /partnerships/:partnershipId/impact/stories/:storyId/delete': orgRole('member', 302, 404),
  'POST /partnerships/:partnershipId/impact/stories/:storyId/delete': orgRole('member', 401, 404),
  'GET /partnerships/:partnershipId/impact/sroi': orgRole('viewer', 302, 200),
  'GET /partnerships/:partnershipId/impact/sroi/new': orgRole('member', 302, 200),
  'POST /partnerships/:partnershipId/impact/sroi/new': orgRole('member', 401, 400),
  'GET /partnerships/:partnershipId/impact/sroi/:modelId': orgRole('viewer', 302, 404),
  'GET /partnerships/:partnershipId/impact/sroi/:modelId.csv': orgRole('viewer', 302, 404),
  'GET /partnerships/:partnershipId/impact/sroi/:modelId/edit': orgRole('member', 302, 404),
  'POST /partnerships/:partnershipId/impact/sroi/:modelId/edit': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/impact/sroi/:modelId/inputs': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/impact/sroi/:modelId/outcomes': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/impact/sroi/:modelId/costs': orgRole('member', 401, 404),
  'GET /partnerships/:partnershipId/impact/sroi/:modelId/inputs/:rowId': orgRole('member', 302, 404),
  'POST /partnerships/:partnershipId/impact/sroi/:modelId/inputs/:rowId': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/impact/sroi/:modelId/inputs/:rowId/remove': orgRole('member', 401, 404),
  'GET /partnerships/:partnershipId/impact/sroi/:modelId/outcomes/:rowId': orgRole('member', 302, 404),
  'POST /partnerships/:partnershipId/impact/sroi/:modelId/outcomes/:rowId': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/impact/sroi/:modelId/outcomes/:rowId/remove': orgRole('member', 401, 404),
  'GET /partnerships/:partnershipId/impact/sroi/:modelId/costs/:rowId': orgRole('member', 302, 404),
  'POST /partnerships/:partnershipId/impact/sroi/:modelId/costs/:rowId': orgRole('member', 401, 404),
  'POST /partnerships/:partnershipId/impact/sroi/:modelId/costs/:rowId/remove': orgRole('member', 401, 404),
  'GET /partnerships/:partnershipId/impact/report': orgRole('viewer', 302, 200),
  'GET /partnerships/:partnershipId/impact/report.pdf': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/sroi-proxies': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/sroi-proxies.csv': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/sroi-proxies/new': orgRole('member', 302, 200),
  'POST /organisations/:slug/sroi-proxies/new': orgRole('member', 401, 400),
  'GET /organisations/:slug/sroi-proxies/:proxyId/edit': orgRole('member', 302, 404),
  'POST /organisations/:slug/sroi-proxies/:proxyId/edit': orgRole('member', 401, 404),
  'GET /organisations/:slug/sroi-proxies/:proxyId/delete': orgRole('member', 302, 404),
  'POST /organisations/:slug/sroi-proxies/:proxyId/delete': orgRole('member', 401, 404),
  // Community wealth (issue 13): the organisation's members read; members import, edit, merge and record.
  'GET /organisations/:slug/community-wealth': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/community-wealth.csv': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/community-wealth/neighbourhoods/:neighbourhoodId': orgRole('viewer', 302, 404),
  'GET /organisations/:slug/community-wealth/neighbourhoods/:neighbourhoodId.csv': orgRole('viewer', 302, 404),
  'GET /organisations/:slug/community-wealth/sources': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/community-wealth/sources/new': orgRole('member', 302, 200),
  'POST /organisations/:slug/community-wealth/sources/new': orgRole('member', 401, 400),
  'GET /organisations/:slug/community-wealth/sources/:sourceId': orgRole('viewer', 302, 404),
  'GET /organisations/:slug/community-wealth/sources/:sourceId/edit': orgRole('member', 302, 404),
  'POST /organisations/:slug/community-wealth/sources/:sourceId/edit': orgRole('member', 401, 404),
  'POST /organisations/:slug/community-wealth/sources/:sourceId/uploads': orgRole('member', 401, 404),
  'GET /organisations/:slug/community-wealth/sources/:sourceId/uploads/:uploadId': orgRole('member', 302, 404),
  'POST /organisations/:slug/community-wealth/sources/:sourceId/uploads/:uploadId': orgRole('member', 401, 404),
  'GET /organisations/:slug/community-wealth/sources/:sourceId/imports/:importId': orgRole('viewer', 302, 404),
  'GET /organisations/:slug/community-wealth/suppliers': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/community-wealth/suppliers/duplicates': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/community-wealth/suppliers/merges': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/community-wealth/suppliers/import': orgRole('member', 302, 200),
  'POST /organisations/:slug/community-wealth/suppliers/import': orgRole('member', 401, 400),
  // The merge confirmation with nothing chosen: the duplicates page again with the problem (400).
  'GET /organisations/:slug/community-wealth/suppliers/merge': orgRole('member', 302, 400),
  'POST /organisations/:slug/community-wealth/suppliers/merge': orgRole('member', 401, 400),
  'GET /organisations/:slug/community-wealth/suppliers/:supplierId': orgRole('viewer', 302, 404),
  'GET /organisations/:slug/community-wealth/suppliers/:supplierId/edit': orgRole('member', 302, 404),
  'POST /organisations/:slug/community-wealth/suppliers/:supplierId/edit': orgRole('member', 401, 404),
  'GET /organisations/:slug/community-wealth/social-value': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/community-wealth/social-value.csv': orgRole('viewer', 302, 200),
  'GET /organisations/:slug/community-wealth/social-value/measures/new': orgRole('member', 302, 200),
  'POST /organisations/:slug/community-wealth/social-value/measures/new': orgRole('member', 401, 400),
  'GET /organisations/:slug/community-wealth/social-value/contracts/new': orgRole('member', 302, 200),
  'POST /organisations/:slug/community-wealth/social-value/contracts/new': orgRole('member', 401, 400),
  'GET /organisations/:slug/community-wealth/social-value/contracts/:contractId': orgRole('viewer', 302, 404),
  'POST /organisations/:slug/community-wealth/social-value/contracts/:contractId/deliveries': orgRole('member', 401, 404),
  'GET /admin/audit': siteAdmin(302, 200),
  // Last: it ends the session the other rows use.
  'POST /sign-out': everyone(303),
};

describe.each(engines)('route permissions on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  const clients = {} as Record<Visitor, Client>;
  let params: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const { organisationId, userIds } = await seedPeople(database);
    const [partnership] = await database.db.insert(partnerships).values({ name: 'Route matrix partnership (sample data)', leadOrganisationId: organisationId }).returning({ id: partnerships.id });
    await database.db.insert(partnershipOrganisations).values({ partnershipId: partnership!.id, organisationId });
    const [campaign] = await database.db
      .insert(voiceCampaigns)
      .values({ organisationId, title: 'Route matrix campaign (sample data)', kind: 'listening', status: 'open', acceptsPublic: true, sample: true })
      .returning({ id: voiceCampaigns.id });
    await database.db.insert(voiceQuestions).values({ campaignId: campaign!.id, position: 1, kind: 'text', prompt: 'What should change?', required: true });
    // Many sign-ins come from one address here; the rate limit has its own test.
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    const [team] = await database.db.insert(supportTeams).values({ organisationId, name: 'Route matrix team' }).returning({ id: supportTeams.id });
    await database.db.insert(supportTeamMembers).values({ teamId: team!.id, userId: userIds.coordinator!, role: 'coordinator' });
    const personId = await samplePerson(database.db, app.keyring, team!.id, userIds.coordinator!);
    for (const visitor of visitors) {
      clients[visitor] = new Client(app);
      // The sign-in page gives an anonymous visitor a CSRF token, so its refusals below are about permission.
      if (visitor === 'anonymous') await clients[visitor].get('/sign-in');
      else expect((await clients[visitor].signIn(emailOf(visitor))).statusCode).toBe(303);
    }
    const css = /href="\/assets\/([^"]+\.css)"/.exec((await clients.anonymous.get('/')).body)![1]!;
    params = {
      slug: 'test-org',
      name: css,
      token: 'A'.repeat(43),
      // No data is loaded in this test database: the data routes answer 404 for everyone.
      edition: 'iod2019',
      code: 'E08000035',
      layer: 'lsoa21',
      // A local indicator's id, and a composite index's: both well-formed, neither there.
      id: 'local.00000000-0000-4000-8000-000000000000',
      indexId: '00000000-0000-4000-8000-000000000000',
      neighbourhoodId: '00000000-0000-4000-8000-000000000000',
      sourceId: '00000000-0000-4000-8000-000000000000',
      uploadId: '00000000-0000-4000-8000-000000000000',
      importId: '00000000-0000-4000-8000-000000000000',
      supplierId: '00000000-0000-4000-8000-000000000000',
      contractId: '00000000-0000-4000-8000-000000000000',
      layerId: '00000000-0000-4000-8000-000000000000',
      mappingId: '00000000-0000-4000-8000-000000000000',
      serviceId: '00000000-0000-4000-8000-000000000000',
      partnershipId: partnership!.id,
      campaignId: campaign!.id,
      responseId: '00000000-0000-4000-8000-000000000000',
      themeId: '00000000-0000-4000-8000-000000000000',
      fundId: '00000000-0000-4000-8000-000000000000',
      roundId: '00000000-0000-4000-8000-000000000000',
      proposalId: '00000000-0000-4000-8000-000000000000',
      grantId: '00000000-0000-4000-8000-000000000000',
      scenarioId: '00000000-0000-4000-8000-000000000000',
      priorityId: '00000000-0000-4000-8000-000000000000',
      actionId: '00000000-0000-4000-8000-000000000000',
      aimId: '00000000-0000-4000-8000-000000000000',
      meetingId: '00000000-0000-4000-8000-000000000000',
      suggestionId: '00000000-0000-4000-8000-000000000000',
      personId,
      teamId: team!.id,
      stepId: '00000000-0000-4000-8000-000000000000',
      goalId: '00000000-0000-4000-8000-000000000000',
      connectionId: '00000000-0000-4000-8000-000000000000',
      shareId: '00000000-0000-4000-8000-000000000000',
      outcomeId: '00000000-0000-4000-8000-000000000000',
      measureId: '00000000-0000-4000-8000-000000000000',
      measurementId: '00000000-0000-4000-8000-000000000000',
      storyId: '00000000-0000-4000-8000-000000000000',
      modelId: '00000000-0000-4000-8000-000000000000',
      rowId: '00000000-0000-4000-8000-000000000000',
      proxyId: '00000000-0000-4000-8000-000000000000',
      z: '0',
      x: '0',
      y: '0',
      // Not a member, so an allowed request is answered "not a member" and changes nothing.
      userId: '00000000-0000-4000-8000-000000000000',
    };
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('has a decision for exactly the registered routes', () => {
    const registered = app.routeList.map((r) => `${r.method} ${r.url}`).sort();
    expect(registered).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s', async (route, row) => {
    const [method, pattern] = route.split(' ') as [string, string];
    const url = pattern.replace(/:(\w+)/g, (_, name: string) => {
      if (!params[name]) throw new Error(`No test value for :${name}`);
      return params[name];
    });
    const actual: Partial<Row> = {};
    for (const visitor of visitors) {
      const client = clients[visitor];
      const response = method === 'GET' ? await client.get(url) : await client.post(url, {});
      actual[visitor] = response.statusCode;
    }
    expect(actual).toEqual(row);
  });

  it('answers 404, not 403, for an organisation that does not exist', async () => {
    const fresh = new Client(app);
    await fresh.signIn(emailOf('admin'));
    expect((await fresh.get('/organisations/no-such-org/members')).statusCode).toBe(404);
    expect((await fresh.get('/organisations/no-such-org')).statusCode).toBe(404);
  });

  it('refuses to build an app with a route that has no access rule', async () => {
    const Fastify = (await import('fastify')).default;
    const { requireAccessDecision } = await import('../src/platform/auth/permissions.ts');
    const bare = Fastify();
    bare.addHook('onRoute', requireAccessDecision);
    expect(() => bare.get('/forgotten', async () => 'x')).toThrow(/has no access rule/);
  });
});
