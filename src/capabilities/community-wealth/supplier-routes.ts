import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { fieldError, formProblems, uploadedFileName, type FormErrors } from '../../platform/web/forms.ts';
import { problemLines } from './sources.ts';
import { importSupplierList } from './supplier-list-import.ts';
import { supplierKindNames, supplierKinds, type SupplierKind } from './schema.ts';
import { mergeCandidates, supplierCounts, supplierList, supplierPage, suppliersPageSize, type MergeCandidate } from './supplier-pages.ts';
import { isIndividual, shownName, withheldName } from './supplier-names.ts';
import { detailsProblems, likelyDuplicates, mergeHistory, MergeError, mergeSuppliersInto, updateSupplier, type SupplierDetails } from './suppliers.ts';
import { formBody, isUuid, money, orgParams, read, supplierParams, supplierPath, suppliersPath, text, texts, wealthContext, write, type Form } from './web.ts';

/**
 * An organisation's suppliers: the list (with the work still to do: kinds and places not known), each supplier's
 * page and edit form, likely duplicates and merging them with a reason, and the record of merges. Viewers read;
 * members edit and merge. An individual's name is never shown: "Individual (name withheld)" stands in for it.
 */

const listQuery = z.object({ q: z.string().max(200).optional(), kind: z.string().max(20).optional(), place: z.string().max(20).optional(), page: z.string().max(10).optional() });
const oneOrMany = z.union([z.string().max(100), z.array(z.string().max(100)).max(100)]).optional();
const mergeQuery = z.object({ keep: oneOrMany, merge: oneOrMany, group: z.string().max(10).optional() });

const view = (name: string) => `community-wealth/views/${name}.njk`;
const isKind = (kind: string): kind is SupplierKind => (supplierKinds as readonly string[]).includes(kind);
const kindItems = (checked: string) => supplierKinds.map((k) => ({ value: k, text: supplierKindNames[k], checked: k === checked, hint: k === 'individual' ? { text: 'A person paid directly: their name is withheld everywhere in Patchwork from then on' } : undefined }));
const listOf = (v: string | string[] | undefined) => [v ?? []].flat().map((s) => s.trim()).filter(Boolean);
const uniq = (ids: string[]) => [...new Set(ids)];

/** Where a supplier is, in words: ward, else district, else not known. */
const placeText = (place: string | null) => place ?? 'Place not known';

export const supplierRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  app.get('/organisations/:slug/community-wealth/suppliers', { config: read, schema: { params: orgParams, querystring: listQuery } }, async (request, reply) => {
    const org = request.organisation!;
    const q = (request.query.q ?? '').trim();
    const kind = request.query.kind && isKind(request.query.kind) ? request.query.kind : null;
    const placeUnknown = request.query.place === 'unknown';
    const counts = await supplierCounts(db(), org.id);
    const asked = Number.parseInt(request.query.page ?? '1', 10);
    let page = Number.isInteger(asked) && asked >= 1 ? asked : 1;
    let list = await supplierList(db(), org.id, { q, kind, placeUnknown }, page);
    const pages = Math.max(1, Math.ceil(list.total / suppliersPageSize));
    if (page > pages) list = await supplierList(db(), org.id, { q, kind, placeUnknown }, (page = pages));
    const href = (p: number, changes: Record<string, string | null> = {}) => {
      const params = new URLSearchParams();
      const values: Record<string, string | null> = { q: q || null, kind, place: placeUnknown ? 'unknown' : null, ...changes };
      for (const [k, v] of Object.entries(values)) if (v) params.set(k, v);
      if (p > 1) params.set('page', String(p));
      const query = params.toString();
      return suppliersPath(org.slug, query ? `?${query}` : '');
    };
    return reply.page(view('supplier-list'), {
      pageTitle: `${org.name}: suppliers`,
      wealth: wealthContext(request, 'suppliers'),
      counts,
      q,
      kind: kind ?? '',
      placeUnknown,
      filtered: Boolean(q || kind || placeUnknown),
      kindOptions: [{ value: '', text: 'Any kind' }, ...supplierKinds.map((k) => ({ value: k, text: supplierKindNames[k], selected: k === kind }))],
      noKindHref: href(1, { kind: 'unknown', q: null, place: null }),
      noPlaceHref: href(1, { place: 'unknown', q: null, kind: null }),
      clearHref: suppliersPath(org.slug),
      importHref: suppliersPath(org.slug, '/import'),
      action: suppliersPath(org.slug),
      total: list.total,
      first: list.total ? (page - 1) * suppliersPageSize + 1 : 0,
      last: (page - 1) * suppliersPageSize + list.rows.length,
      rows: list.rows.map((r) => ({ ...r, href: supplierPath(org.slug, r.id), kindText: supplierKindNames[r.kind], totalText: money(r.totalPence), placeText: placeText(r.place) })),
      pagination:
        pages > 1
          ? {
              previous: page > 1 ? { href: href(page - 1) } : undefined,
              next: page < pages ? { href: href(page + 1) } : undefined,
              items: Array.from({ length: pages }, (_, i) => i + 1)
                .filter((n) => n === 1 || n === pages || Math.abs(n - page) <= 2)
                .flatMap((n, i, shown) => [...(i > 0 && n - shown[i - 1]! > 1 ? [{ ellipsis: true }] : []), { number: n, href: href(n), current: n === page }]),
            }
          : null,
      duplicatesHref: suppliersPath(org.slug, '/duplicates'),
      mergesHref: suppliersPath(org.slug, '/merges'),
    });
  });

  // ---- Likely duplicates and merging them --------------------------------------------------------------------------

  /** The duplicates page; with `errors`, as the answer to a merge chosen badly from group `group`. */
  const renderDuplicates = async (request: FastifyRequest, reply: FastifyReply, errors?: FormErrors, group?: number, values?: { keep: string; merge: string[] }) => {
    const org = request.organisation!;
    const groups = (await likelyDuplicates(db(), org.id))
      // The service leaves out suppliers marked as individuals; names that only look like a person's are left out too.
      .map((g) => ({ ...g, suppliers: g.suppliers.filter((s) => !isIndividual({ name: s.name, kind: 'unknown' })) }))
      .filter((g) => g.suppliers.length > 1);
    return reply.page(
      view('supplier-duplicates'),
      {
        pageTitle: `${org.name}: likely duplicate suppliers`,
        wealth: wealthContext(request, 'suppliers'),
        errors,
        mergeAction: suppliersPath(org.slug, '/merge'),
        suppliersHref: suppliersPath(org.slug),
        groups: groups.map((g, i) => {
          const mine = group === i ? values : undefined;
          const items = (checked: (id: string) => boolean) => g.suppliers.map((s) => ({ value: s.id, text: s.name, hint: { text: `${s.payments.toLocaleString('en-GB')} payment${s.payments === 1 ? '' : 's'}, ${money(s.totalPence)}` }, checked: checked(s.id) }));
          return {
            index: i,
            title: g.suppliers[0]!.name,
            suppliers: g.suppliers.map((s) => ({ ...s, href: supplierPath(org.slug, s.id), totalText: money(s.totalPence) })),
            keepItems: items((id) => mine?.keep === id),
            mergeItems: items((id) => Boolean(mine?.merge.includes(id))),
            keepError: mine ? errors?.fields.keep : undefined,
            mergeError: mine ? errors?.fields.merge : undefined,
          };
        }),
        capped: groups.length >= 100,
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/community-wealth/suppliers/duplicates', { config: read, schema: { params: orgParams } }, async (request, reply) => renderDuplicates(request, reply));

  type MergeChoice = { kind: 'ok'; kept: MergeCandidate; merged: MergeCandidate[] } | { kind: 'not-found' } | { kind: 'bad'; errors: FormErrors };

  /** Checks a merge as chosen: never trusting the ids, which must be the organisation's live suppliers. */
  const checkMerge = async (request: FastifyRequest, keepIds: string[], mergeIds: string[], group: number | undefined): Promise<MergeChoice> => {
    const { errors, fail } = formProblems();
    const at = (field: string) => (group === undefined ? 'duplicates' : `${field}-${group}`);
    const keep = keepIds[0] ?? '';
    if (!keep) fail(at('keep'), 'Choose the supplier to keep');
    if (!mergeIds.length) fail(at('merge'), 'Choose at least one supplier to merge into the one kept');
    if (errors.summary.length) return { kind: 'bad', errors: byField(errors, group) };
    if (![keep, ...mergeIds].every(isUuid)) return { kind: 'not-found' };
    if (mergeIds.includes(keep) || keepIds.length > 1) {
      fail(at('merge'), 'Choose two different suppliers: the one kept cannot also be merged into itself');
      return { kind: 'bad', errors: byField(errors, group) };
    }
    const found = await mergeCandidates(db(), request.organisation!.id, [keep, ...mergeIds]);
    const kept = found.get(keep);
    const merged = mergeIds.map((id) => found.get(id));
    if (!kept || merged.some((m) => !m)) return { kind: 'not-found' };
    for (const s of [kept, ...(merged as MergeCandidate[])]) if (s.mergedIntoId) fail(at(s === kept ? 'keep' : 'merge'), `${s.name} has been merged already: choose from the suppliers listed now`);
    if (errors.summary.length) return { kind: 'bad', errors: byField(errors, group) };
    return { kind: 'ok', kept, merged: merged as MergeCandidate[] };
  };

  /** Messages against a group's fields also show on them; without a group they point at the page's groups. */
  const byField = (errors: FormErrors, group: number | undefined): FormErrors => ({
    summary: errors.summary,
    fields: Object.fromEntries(Object.entries(errors.fields).map(([field, message]) => [group === undefined ? field : field.replace(`-${group}`, ''), message])),
  });

  const groupOf = (value: string | undefined) => {
    const n = Number.parseInt(value ?? '', 10);
    return Number.isInteger(n) && n >= 0 && n < 1000 ? n : undefined;
  };

  const renderConfirm = (request: FastifyRequest, reply: FastifyReply, kept: MergeCandidate, merged: MergeCandidate[], reason: string, errors?: FormErrors) => {
    const org = request.organisation!;
    const names = merged.map((m) => m.name);
    const mergedWords = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
    const moving = merged.reduce((n, m) => n + m.payments, 0);
    return reply.page(
      view('supplier-merge'),
      {
        pageTitle: `Merge ${mergedWords} into ${kept.name}?`,
        wealth: wealthContext(request, 'suppliers'),
        errors,
        kept: { ...kept, totalText: money(kept.totalPence), href: supplierPath(org.slug, kept.id) },
        merged: merged.map((m) => ({ ...m, totalText: money(m.totalPence) })),
        mergedWords,
        moving,
        movingText: money(merged.reduce((n, m) => n + m.totalPence, 0)),
        reason,
        action: suppliersPath(org.slug, '/merge'),
        backHref: suppliersPath(org.slug, '/duplicates'),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/community-wealth/suppliers/merge', { config: write, schema: { params: orgParams, querystring: mergeQuery } }, async (request, reply) => {
    const keep = listOf(request.query.keep);
    const merge = uniq(listOf(request.query.merge));
    const group = groupOf(request.query.group);
    const choice = await checkMerge(request, keep, merge, group);
    if (choice.kind === 'not-found') return reply.callNotFound();
    if (choice.kind === 'bad') return renderDuplicates(request, reply, choice.errors, group, { keep: keep[0] ?? '', merge });
    return renderConfirm(request, reply, choice.kept, choice.merged, '');
  });

  app.post('/organisations/:slug/community-wealth/suppliers/merge', { config: write, schema: { params: orgParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const keep = texts(form, 'keep').map((s) => s.trim()).filter(Boolean);
    const merge = uniq(texts(form, 'merge').map((s) => s.trim()).filter(Boolean));
    const choice = await checkMerge(request, keep, merge, undefined);
    if (choice.kind === 'not-found') return reply.callNotFound();
    if (choice.kind === 'bad') return renderDuplicates(request, reply, choice.errors);
    const reason = text(form, 'reason').trim();
    const { errors, fail } = formProblems();
    if (!reason) fail('reason', 'Say why these are the same supplier, such as the same company number');
    else if (reason.length > 1000) fail('reason', 'Keep the reason to 1,000 characters or fewer');
    if (errors.summary.length) return renderConfirm(request, reply, choice.kept, choice.merged, reason, errors);
    const org = request.organisation!;
    try {
      const { paymentsMoved } = await mergeSuppliersInto(db(), org.id, choice.kept.id, choice.merged.map((m) => m.id), reason, actorOf(request));
      return reply.flash(`${paymentsMoved.toLocaleString('en-GB')} payment${paymentsMoved === 1 ? '' : 's'} moved to ${choice.kept.name}`).redirect(supplierPath(org.slug, choice.kept.id), 303);
    } catch (error) {
      // Another person merged one of them between the check and now: nothing of this merge was made.
      if (!(error instanceof MergeError)) throw error;
      const { errors: raced, fail: failRaced } = formProblems();
      failRaced('duplicates', error.message);
      return renderDuplicates(request, reply, raced);
    }
  });

  app.get('/organisations/:slug/community-wealth/suppliers/merges', { config: read, schema: { params: orgParams } }, async (request, reply) => {
    const org = request.organisation!;
    const merges = await mergeHistory(db(), org.id);
    return reply.page(view('supplier-merges'), {
      pageTitle: `${org.name}: supplier merges`,
      wealth: wealthContext(request, 'suppliers'),
      merges: merges.map((m) => {
        const keptIndividual = isIndividual({ name: m.keptName, kind: m.keptKind });
        return {
          keptName: keptIndividual ? withheldName : m.keptName,
          keptHref: supplierPath(org.slug, m.keptId),
          // An individual's other names are theirs too.
          mergedName: keptIndividual ? withheldName : shownName({ name: m.mergedName, kind: m.mergedKind }),
          paymentsMoved: m.paymentsMoved,
          reason: m.reason,
          mergedBy: m.mergedBy ?? 'Someone no longer using Patchwork',
          mergedAt: m.mergedAt,
        };
      }),
      suppliersHref: suppliersPath(org.slug),
      duplicatesHref: suppliersPath(org.slug, '/duplicates'),
    });
  });

  // ---- One supplier ----------------------------------------------------------------------------------------------

  const supplierOf = async (request: FastifyRequest) => {
    const { supplierId } = request.params as { supplierId: string };
    return isUuid(supplierId) ? supplierPage(db(), request.organisation!.id, supplierId) : null;
  };

  // ---- A supplier list: kinds, places and numbers for many suppliers at once ----------------------------------

  const renderImport = (request: FastifyRequest, reply: FastifyReply, errors?: FormErrors) =>
    reply.page(
      view('supplier-import'),
      { pageTitle: `${request.organisation!.name}: import a supplier list`, wealth: wealthContext(request, 'suppliers'), errors, formAction: suppliersPath(request.organisation!.slug, '/import'), backHref: suppliersPath(request.organisation!.slug) },
      errors ? 400 : 200,
    );

  app.get('/organisations/:slug/community-wealth/suppliers/import', { config: write, schema: { params: orgParams } }, async (request, reply) => renderImport(request, reply));

  app.post('/organisations/:slug/community-wealth/suppliers/import', { config: write, schema: { params: orgParams, body: formBody } }, async (request, reply) => {
    const file = (request.body as Form).file;
    if (!Buffer.isBuffer(file) || !file.length) return renderImport(request, reply, fieldError('file', 'Choose a CSV or Excel file of suppliers to upload'));
    const org = request.organisation!;
    try {
      const report = await importSupplierList(db(), org.id, file, uploadedFileName(file) ?? 'The supplier list', actorOf(request));
      return reply.flash(`Supplier list imported: ${report.updated} ${report.updated === 1 ? 'supplier' : 'suppliers'} updated, ${report.added} added`).redirect(suppliersPath(org.slug), 303);
    } catch (error) {
      if (!(error instanceof ImportError)) throw error;
      const { headline, lines } = problemLines(error);
      return renderImport(request, reply, { summary: [{ text: headline, href: '#file' }, ...lines.map((text) => ({ text, href: '#file' }))], fields: { file: { text: headline } } });
    }
  });

  app.get('/organisations/:slug/community-wealth/suppliers/:supplierId', { config: read, schema: { params: supplierParams } }, async (request, reply) => {
    const found = await supplierOf(request);
    if (!found) return reply.callNotFound();
    const org = request.organisation!;
    if ('merged' in found) return reply.redirect(supplierPath(org.slug, found.merged), 303);
    const s = found.supplier;
    const wealth = wealthContext(request, 'suppliers');
    return reply.page(view('supplier-show'), {
      pageTitle: `${s.name}: supplier of ${org.name}`,
      wealth,
      supplier: { ...s, kindText: supplierKindNames[s.kind] },
      byYear: s.byYear.map((y) => ({ ...y, totalText: money(y.totalPence) })),
      totalText: money(s.byYear.reduce((n, y) => n + y.totalPence, 0)),
      payments: s.byYear.reduce((n, y) => n + y.payments, 0),
      editHref: wealth.canEdit ? supplierPath(org.slug, s.id, '/edit') : null,
      suppliersHref: suppliersPath(org.slug),
    });
  });

  const renderEdit = (request: FastifyRequest, reply: FastifyReply, supplier: { id: string; name: string }, values: Form, errors?: FormErrors) => {
    const org = request.organisation!;
    return reply.page(
      view('supplier-edit'),
      {
        pageTitle: `Edit ${supplier.name}`,
        wealth: wealthContext(request, 'suppliers'),
        supplier,
        values,
        errors,
        kindItems: kindItems(text(values, 'kind')),
        action: supplierPath(org.slug, supplier.id, '/edit'),
        backHref: supplierPath(org.slug, supplier.id),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/community-wealth/suppliers/:supplierId/edit', { config: write, schema: { params: supplierParams } }, async (request, reply) => {
    const found = await supplierOf(request);
    if (!found) return reply.callNotFound();
    const org = request.organisation!;
    if ('merged' in found) return reply.redirect(supplierPath(org.slug, found.merged, '/edit'), 303);
    const s = found.supplier;
    return renderEdit(request, reply, s, { kind: s.kind, postcode: s.postcode ?? '', companyNumber: s.companyNumber ?? '', charityNumber: s.charityNumber ?? '' });
  });

  app.post('/organisations/:slug/community-wealth/suppliers/:supplierId/edit', { config: write, schema: { params: supplierParams, body: formBody } }, async (request, reply) => {
    const found = await supplierOf(request);
    if (!found || 'merged' in found) return reply.callNotFound();
    const form = request.body as Form;
    const kind = text(form, 'kind');
    const details: SupplierDetails = {
      kind: isKind(kind) ? kind : 'unknown',
      postcode: text(form, 'postcode').trim().slice(0, 20) || null,
      companyNumber: text(form, 'companyNumber').replace(/\s+/g, '').toUpperCase() || null,
      charityNumber: text(form, 'charityNumber').replace(/\s+/g, '') || null,
    };
    const { errors, fail } = formProblems();
    if (!isKind(kind)) fail('kind', 'Choose what kind of supplier this is, or “Kind not known”');
    for (const p of detailsProblems(details)) fail(p.field, p.message);
    if (errors.summary.length) return renderEdit(request, reply, found.supplier, form, errors);
    const org = request.organisation!;
    const result = await updateSupplier(db(), org.id, found.supplier.id, details, actorOf(request));
    if (!result.ok) {
      fail(result.field, result.message);
      return renderEdit(request, reply, found.supplier, form, errors);
    }
    const name = details.kind === 'individual' ? withheldName : found.supplier.name;
    return reply.flash(`${name} saved`).redirect(supplierPath(org.slug, found.supplier.id), 303);
  });
};
