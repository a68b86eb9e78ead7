import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access } from '../../platform/auth/permissions.ts';
import { dateBoxes, longDate, todayInEngland } from '../../platform/web/dates.ts';
import { fieldError, type FormErrors } from '../../platform/web/forms.ts';
import { storyConsents } from './schema.ts';
import { areaValue, consentText, createStory, deleteStory, readStoryForm, setStoryPublished, storyChoices, storyOf, updateStory, withStoryAreas, type StoryChoices } from './story-service.ts';
import { storiesFor, type StoryView } from './stories.ts';
import { formBody, impactContext, partnershipParams, storiesPath, storyParams, storyPath, text, texts, type Form } from './web.ts';

/**
 * A partnership's stories: the list (published or not), adding and editing one with its consent and tags, and
 * publishing it (only with consent). Published stories also appear on outcome and area pages.
 */

const read = { access: access.partnership('viewer') };
const write = { access: access.partnership('member') };

const kindText = { ward: 'ward', district: 'district', neighbourhood: 'neighbourhood' } as const;

/** The page's view of a story's consent, in words. */
const consentLine = (s: StoryView) => `${consentText[s.consent]}${s.consentOn ? `, ${longDate(s.consentOn)}` : ''}`;

export const storyRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  const storyFrom = async (request: FastifyRequest) => storyOf(db(), request.partnership!.id, (request.params as { storyId: string }).storyId);

  app.get('/partnerships/:partnershipId/impact/stories', { config: read, schema: { params: partnershipParams } }, async (request, reply) => {
    const impact = impactContext(request, 'stories');
    const stories = await storiesFor(db(), { partnershipId: impact.partnershipId, publishedOnly: false });
    return reply.page('impact/views/story-list.njk', {
      pageTitle: `${impact.partnershipName}: stories`,
      impact,
      stories: stories.map((s) => ({ ...s, consentText: consentText[s.consent] })),
      publishedCount: stories.filter((s) => s.published).length,
      newHref: impact.canEdit ? storiesPath(impact.partnershipId, '/new') : null,
    });
  });

  // ---- Adding and editing ------------------------------------------------------------------------------------------

  const renderForm = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors: FormErrors | undefined, story: StoryView | null, given?: StoryChoices) => {
    const impact = impactContext(request, 'stories');
    const choices = given ?? (story ? withStoryAreas(await storyChoices(db(), impact.partnershipId), story) : await storyChoices(db(), impact.partnershipId));
    const outcomes = new Set(texts(values, 'outcomes'));
    const areas = new Set(texts(values, 'areas'));
    return reply.page(
      'impact/views/story-form.njk',
      {
        pageTitle: story ? `Edit the story “${story.title}”` : `${impact.partnershipName}: add a story`,
        impact,
        story,
        values,
        errors,
        action: story ? storyPath(impact.partnershipId, story.id, '/edit') : storiesPath(impact.partnershipId, '/new'),
        backHref: story ? storyPath(impact.partnershipId, story.id) : storiesPath(impact.partnershipId),
        consentItems: storyConsents.map((c) => ({ value: c, text: consentText[c], checked: text(values, 'consent') === c })),
        outcomeItems: choices.outcomes.map((o) => ({ value: o.id, text: o.title, checked: outcomes.has(o.id) })),
        areaItems: choices.areas.map((a) => ({ value: areaValue(a), text: `${a.name} (${kindText[a.kind]})`, checked: areas.has(areaValue(a)) })),
        sampleChecked: text(values, 'sample') === 'yes',
        outcomesHref: impact.canEdit ? `/partnerships/${impact.partnershipId}/impact` : null,
      },
      errors ? 400 : 200,
    );
  };

  app.get('/partnerships/:partnershipId/impact/stories/new', { config: write, schema: { params: partnershipParams } }, async (request, reply) =>
    renderForm(request, reply, { ...dateBoxes('toldOn', todayInEngland()), consent: 'not-asked' }, undefined, null),
  );

  app.post('/partnerships/:partnershipId/impact/stories/new', { config: write, schema: { params: partnershipParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const p = request.partnership!;
    const choices = await storyChoices(db(), p.id);
    const checked = readStoryForm(form, todayInEngland(), choices);
    if (!checked.ok) return renderForm(request, reply, form, checked.errors, null, choices);
    const id = await createStory(db(), p.id, checked.input, actorOf(request));
    return reply.flash(checked.input.consent === 'given' ? 'Story added. It is not published yet: publish it when you are ready' : 'Story added. It can be published once they give consent').redirect(storyPath(p.id, id), 303);
  });

  app.get('/partnerships/:partnershipId/impact/stories/:storyId/edit', { config: write, schema: { params: storyParams } }, async (request, reply) => {
    const story = await storyFrom(request);
    if (!story) return reply.callNotFound();
    const values: Form = {
      ...dateBoxes('toldOn', story.toldOn),
      ...dateBoxes('consentOn', story.consentOn),
      title: story.title,
      body: story.body,
      quote: story.quote ?? '',
      consent: story.consent,
      outcomes: story.outcomes.map((o) => o.id),
      areas: story.areas.map(areaValue),
      sample: story.sample ? 'yes' : '',
    };
    return renderForm(request, reply, values, undefined, story);
  });

  app.post('/partnerships/:partnershipId/impact/stories/:storyId/edit', { config: write, schema: { params: storyParams, body: formBody } }, async (request, reply) => {
    const story = await storyFrom(request);
    if (!story) return reply.callNotFound();
    const form = request.body as Form;
    const p = request.partnership!;
    const choices = withStoryAreas(await storyChoices(db(), p.id), story);
    const checked = readStoryForm(form, todayInEngland(), choices);
    if (!checked.ok) return renderForm(request, reply, form, checked.errors, story, choices);
    const saved = await updateStory(db(), p.id, story.id, checked.input, actorOf(request));
    if (!saved) return reply.callNotFound();
    return reply.flash(saved.unpublished ? 'Story saved. It is no longer published, because consent to publish is no longer given' : 'Story saved').redirect(storyPath(p.id, story.id), 303);
  });

  // ---- The story, publishing and deleting ----------------------------------------------------------------------------

  const renderStory = (request: FastifyRequest, reply: FastifyReply, story: StoryView, errors?: FormErrors) => {
    const impact = impactContext(request, 'stories');
    const href = storyPath(impact.partnershipId, story.id);
    return reply.page(
      'impact/views/story-show.njk',
      {
        pageTitle: `${story.title}: story`,
        impact,
        story,
        errors,
        consentLine: consentLine(story),
        canPublish: story.consent === 'given' && Boolean(story.consentOn),
        editHref: `${href}/edit`,
        publishAction: `${href}/publish`,
        unpublishAction: `${href}/unpublish`,
        deleteHref: `${href}/delete`,
        backHref: storiesPath(impact.partnershipId),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/partnerships/:partnershipId/impact/stories/:storyId', { config: read, schema: { params: storyParams } }, async (request, reply) => {
    const story = await storyFrom(request);
    if (!story) return reply.callNotFound();
    return renderStory(request, reply, story);
  });

  for (const publish of [true, false]) {
    app.post(`/partnerships/:partnershipId/impact/stories/:storyId/${publish ? 'publish' : 'unpublish'}`, { config: write, schema: { params: storyParams, body: formBody } }, async (request, reply) => {
      const story = await storyFrom(request);
      if (!story) return reply.callNotFound();
      const outcome = await setStoryPublished(db(), request.partnership!.id, story.id, publish, actorOf(request));
      if (outcome === 'not-found') return reply.callNotFound();
      if (outcome === 'no-consent') {
        return renderStory(request, reply, story, fieldError('consent', 'This story cannot be published: the person it is about has not given consent, with a date, to publish it. Edit the story to record their consent first'));
      }
      const message = { published: 'Story published: it now shows on the pages of the places it is about', unpublished: 'Story unpublished: it no longer shows outside the partnership', unchanged: publish ? 'The story was already published' : 'The story was already unpublished' }[outcome];
      return reply.flash(message).redirect(storyPath(request.partnership!.id, story.id), 303);
    });
  }

  app.get('/partnerships/:partnershipId/impact/stories/:storyId/delete', { config: write, schema: { params: storyParams } }, async (request, reply) => {
    const story = await storyFrom(request);
    if (!story) return reply.callNotFound();
    const impact = impactContext(request, 'stories');
    return reply.page('impact/views/story-delete.njk', { pageTitle: `Delete the story “${story.title}”?`, impact, story, formAction: storyPath(impact.partnershipId, story.id, '/delete'), backHref: storyPath(impact.partnershipId, story.id) });
  });

  app.post('/partnerships/:partnershipId/impact/stories/:storyId/delete', { config: write, schema: { params: storyParams, body: formBody } }, async (request, reply) => {
    const story = await storyFrom(request);
    if (!story) return reply.callNotFound();
    if (!(await deleteStory(db(), request.partnership!.id, story.id, actorOf(request)))) return reply.callNotFound();
    return reply.flash(`Story “${story.title}” deleted`).redirect(storiesPath(request.partnership!.id), 303);
  });
};
