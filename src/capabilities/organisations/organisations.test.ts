import { describe, expect, it } from 'vitest';
import { engines } from '../../../tests/support/engines.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { slugify } from './service.ts';

describe('slugify', () => {
  it.each([
    ['Wigan Council', 'wigan-council'],
    ['St Mary’s & St John’s School', 'st-mary-s-and-st-john-s-school'],
    ['Café Côte', 'cafe-cote'],
    ['!!!', 'organisation'],
  ])('%s → %s', (name, slug) => expect(slugify(name)).toBe(slug));
});

describe.each(engines)('organisations on %s', (engine) => {
  const h = useSeededApp(engine);

  it('lets a site admin add an organisation, with clear errors for bad input', async () => {
    const admin = new Client(h.app);
    await admin.signIn(emailOf('site-admin'));
    await admin.get('/organisations/new');
    const bad = await admin.post('/organisations', { name: '', kind: 'bank', website: 'not a url' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter the organisation’s name');
    expect(bad.body).toContain('Select what kind of organisation it is');
    expect(bad.body).toContain('Enter a website address starting with https://');
    const ok = await admin.post('/organisations', { name: 'Pemberton Community Hub', kind: 'community-group', description: 'A hub.', website: 'https://example.org' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/organisations/pemberton-community-hub/members');
    const same = await admin.post('/organisations', { name: 'Pemberton Community Hub', kind: 'vcse' });
    expect(same.headers.location).toBe('/organisations/pemberton-community-hub-2/members');
    const list = await new Client(h.app).get('/organisations');
    expect(list.body).toContain('Pemberton Community Hub');
    const api = await new Client(h.app).get('/api/v1/organisations/pemberton-community-hub');
    expect(api.json()).toMatchObject({ name: 'Pemberton Community Hub', kind: 'community-group', members: 0 });
  });

  it('lets an organisation admin edit details, and shows members only to members', async () => {
    const admin = new Client(h.app);
    await admin.signIn(emailOf('admin'));
    await admin.get('/organisations/test-org/edit');
    const saved = await admin.post('/organisations/test-org', { name: 'Test Organisation', kind: 'vcse', description: 'Now with a description' });
    expect(saved.statusCode).toBe(303);
    expect((await new Client(h.app).get('/organisations/test-org')).body).toContain('Now with a description');
    const members = await admin.get('/organisations/test-org/members');
    expect(members.body).toContain(emailOf('viewer'));
    const outsider = new Client(h.app);
    await outsider.signIn(emailOf('outsider'));
    expect((await outsider.get('/organisations/test-org/members')).statusCode).toBe(403);
  });

  it('adds an existing person without an invitation, and not twice', async () => {
    const admin = new Client(h.app);
    await admin.signIn(emailOf('admin'));
    await admin.get('/organisations/test-org/members');
    const added = await admin.post('/organisations/test-org/members', { email: emailOf('outsider'), role: 'viewer' });
    expect(added.statusCode).toBe(303);
    const twice = await admin.post('/organisations/test-org/members', { email: emailOf('outsider'), role: 'viewer' });
    expect(twice.statusCode).toBe(400);
    expect(twice.body).toContain('is already a member of this organisation');
    const noName = await admin.post('/organisations/test-org/members', { email: 'stranger@example.org', role: 'viewer' });
    expect(noName.body).toContain('Enter the person’s name');
  });

  it('keeps at least one admin', async () => {
    const admin = new Client(h.app);
    await admin.signIn(emailOf('admin'));
    await admin.get('/organisations/test-org/members');
    const demote = await admin.post(`/organisations/test-org/members/${h.seed.userIds.admin}/role`, { role: 'member' });
    expect(demote.statusCode).toBe(400);
    expect(demote.body).toContain('must keep at least one admin');
    const remove = await admin.post(`/organisations/test-org/members/${h.seed.userIds.admin}/remove`);
    expect(remove.body).toContain('must keep at least one admin');
    expect((await admin.post(`/organisations/test-org/members/${h.seed.userIds.coordinator}/role`, { role: 'admin' })).statusCode).toBe(303);
    expect((await admin.post(`/organisations/test-org/members/${h.seed.userIds.admin}/role`, { role: 'member' })).statusCode).toBe(303);
    // No longer an admin, so no longer allowed to manage members.
    expect((await admin.post(`/organisations/test-org/members/${h.seed.userIds.viewer}/remove`)).statusCode).toBe(403);
  });
});
