import { describe, expect, it } from 'vitest';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { deepJson } from '../../../tests/support/hostile.ts';
import { fieldWithNul } from './forms.ts';

describe('fieldWithNul', () => {
  it('names the first field whose text holds a NUL, looking into lists and objects', () => {
    expect(fieldWithNul({ name: 'Ada', notes: 'fine' })).toBeNull();
    expect(fieldWithNul({ name: 'Ada', notes: 'not\u0000fine' })).toBe('notes');
    expect(fieldWithNul({ choices: ['1', '2\u0000'] })).toBe('choices');
    expect(fieldWithNul({ outer: { inner: [{ deeper: '\u0000' }] } })).toBe('outer');
    expect(fieldWithNul('\u0000')).toBe('');
    expect(fieldWithNul(undefined)).toBeNull();
  });

  it('skips uploaded files and walks a deeply nested body without recursion', () => {
    expect(fieldWithNul({ file: Buffer.from([0, 0, 0]) })).toBeNull();
    expect(fieldWithNul({ deep: JSON.parse(deepJson(100_000)) })).toBeNull();
  });
});

describe('a NUL in any form answer', () => {
  const h = useSeededApp('pglite');

  it('is refused with a message naming the field, before the route reads it', async () => {
    const client = new Client(h.app);
    await client.get('/sign-in');
    const response = await client.post('/sign-in', { email: `${emailOf('member')}\u0000`, password: 'whatever it is' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('The answer to ‘email’ contains a NUL character');
  });
});
