import { describe, expect, it } from 'vitest';
import { formatPence, parsePounds, poundsOf } from './money.ts';

describe('money in pence', () => {
  it('reads amounts however people type them, exactly', () => {
    expect(parsePounds('£1,250')).toEqual({ pence: 125000 });
    expect(parsePounds('1250.5')).toEqual({ pence: 125050 });
    expect(parsePounds(' 0.07 ')).toEqual({ pence: 7 });
    // 0.1 + 0.2 style errors cannot happen: 19.99 is 1999 pence, not 1998.9999.
    expect(parsePounds('19.99')).toEqual({ pence: 1999 });
    expect(parsePounds('1,000,000')).toEqual({ pence: 100000000 });
  });

  it('refuses what is not an amount, saying why', () => {
    expect(parsePounds('')).toEqual({ error: 'Enter an amount in pounds, like 1,250 or 1250.50' });
    expect(parsePounds('12.345')).toHaveProperty('error');
    expect(parsePounds('-5')).toHaveProperty('error');
    expect(parsePounds('ten pounds')).toHaveProperty('error');
    expect(parsePounds('1,25')).toHaveProperty('error');
    expect(parsePounds('99999999999999999')).toEqual({ error: 'That amount is too large' });
  });

  it('shows pounds, with pence only when there are any', () => {
    expect(formatPence(125000)).toBe('£1,250');
    expect(formatPence(125050)).toBe('£1,250.50');
    expect(formatPence(7)).toBe('£0.07');
    expect(formatPence(-500)).toBe('−£5');
    expect(poundsOf(125050)).toBe(1250.5);
  });
});
