/**
 * Money is integer pence everywhere; these are the only ways in and out of words. A sum typed by a person ("£1,250",
 * "1250.50") becomes pence exactly (no floating point), and pence are shown as pounds with pence only when there are any.
 */

const maxPence = 1e15;

/** Pence from what someone typed, or null when it is not an amount of money (a message says why). */
export function parsePounds(text: string): { pence: number } | { error: string } {
  const cleaned = text.trim().replace(/^£\s*/, '').replace(/,(?=\d{3}(\D|$))/g, '');
  if (!cleaned) return { error: 'Enter an amount in pounds, like 1,250 or 1250.50' };
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!match) return { error: `"${text.trim().slice(0, 40)}" is not an amount in pounds: enter it like 1,250 or 1250.50` };
  const pence = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(pence) || pence > maxPence) return { error: 'That amount is too large' };
  return { pence };
}

/** "£1,250" or "£1,250.50". */
export function formatPence(pence: number): string {
  const sign = pence < 0 ? '−' : '';
  const abs = Math.abs(pence);
  const pounds = Math.floor(abs / 100).toLocaleString('en-GB');
  const rest = abs % 100;
  return `${sign}£${pounds}${rest ? `.${String(rest).padStart(2, '0')}` : ''}`;
}

/** Pence as a decimal number of pounds, for exports that want a number (360Giving's amountAwarded). */
export const poundsOf = (pence: number): number => Math.round(pence) / 100;
