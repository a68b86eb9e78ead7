import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

/** GOV.UK error summary and per-field messages, built from a route's schema validation. */
export type FormErrors = {
  summary: { text: string; href: string }[];
  fields: Record<string, { text: string }>;
};

export function formErrors(error: { validation?: FastifySchemaValidationError[] } | undefined): FormErrors {
  const result: FormErrors = { summary: [], fields: {} };
  for (const issue of error?.validation ?? []) {
    const field = issue.instancePath.replace(/^\//, '').split('/')[0] || 'form';
    if (result.fields[field]) continue; // one message per field, the first is the most basic
    result.fields[field] = { text: issue.message ?? 'This answer is not valid' };
    result.summary.push({ text: issue.message ?? 'This answer is not valid', href: `#${field}` });
  }
  return result;
}

/** One message about one field, for checks that need the database (e.g. "email already in use"). */
export function fieldError(field: string, text: string): FormErrors {
  return { summary: [{ text, href: `#${field}` }], fields: { [field]: { text } } };
}
