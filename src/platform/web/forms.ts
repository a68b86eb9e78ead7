import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { z } from 'zod';

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

export type Fail = (field: string, message: string) => void;

/** An empty set of form problems and the way to add one (the first against each field counts), for checks a schema cannot make. */
export function formProblems(): { errors: FormErrors; fail: Fail } {
  const errors: FormErrors = { summary: [], fields: {} };
  const fail: Fail = (field, message) => {
    if (errors.fields[field]) return;
    errors.fields[field] = { text: message };
    errors.summary.push({ text: message, href: `#${field}` });
  };
  return { errors, fail };
}

/** A posted HTML form, as @fastify/formbody gives it: a repeated field (checkboxes) is a list. */
export type Form = Record<string, unknown>;
/**
 * Only what a form can send: text, a repeated field's list of texts, or an uploaded file's bytes. A JSON body
 * could otherwise put objects, or lists nested thousands deep, where a field's text belongs, and a page that
 * shows the answers again cannot render those.
 */
const formValue = z.union([z.string(), z.array(z.string()), z.instanceof(Buffer)], { error: 'Each answer on a form must be text: go back to the form and send it from there' });
export const formBody = z.record(z.string(), formValue);

/**
 * The first field of a posted body whose text holds a NUL character ('' when it is not in a named field), or null.
 * Walked without recursion, and only so far, since a JSON body may be nested thousands deep; files are skipped.
 */
export function fieldWithNul(body: unknown, limit = 100_000): string | null {
  if (body === null || typeof body !== 'object') return typeof body === 'string' && body.includes('\u0000') ? '' : null;
  const stack: [string, unknown][] = Object.entries(body as Record<string, unknown>);
  for (let seen = 0; stack.length && seen < limit; seen++) {
    const [field, value] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return field;
    } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
      for (const inner of Object.values(value as Record<string, unknown>)) stack.push([field, inner]);
    }
  }
  return null;
}

/** A single text field as typed (the first if repeated); anything else counts as empty. */
export const text = (form: Form, name: string): string => {
  const v = form[name];
  const one = Array.isArray(v) ? v[0] : v;
  return typeof one === 'string' ? one : '';
};

/** Every value of a repeated field (checkboxes), as strings. */
export const texts = (form: Form, name: string): string[] => {
  const v = form[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
};

export const uploadedName = Symbol('uploaded file name');

/**
 * The name an uploaded file had on the person's computer, without any folder, trimmed to something safe to show
 * and store: or null when the browser gave none.
 */
export function uploadedFileName(bytes: Buffer): string | null {
  const name = (bytes as Buffer & { [uploadedName]?: string })[uploadedName];
  const base = name?.split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
  return base || null;
}
