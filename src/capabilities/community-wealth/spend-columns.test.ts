import { describe, expect, it } from 'vitest';
import { amountInPence, guessMapping, mappingProblems, paymentDate } from './spend-columns.ts';

describe('reading spend files', () => {
  it('guesses the columns of two differently shaped council files', () => {
    expect(guessMapping(['Body Name', 'Service Area', 'Expense Type', 'Payment Date', 'Transaction Number', 'Amount', 'Supplier Name'])).toEqual({
      paidOn: 'Payment Date',
      supplier: 'Supplier Name',
      amount: 'Amount',
      department: 'Service Area',
      purpose: 'Expense Type',
      reference: 'Transaction Number',
    });
    expect(guessMapping(['Directorate', 'Vendor', 'Date Paid', 'Net Amount', 'Description', 'Vendor ID', 'Post Code'])).toEqual({
      paidOn: 'Date Paid',
      supplier: 'Vendor',
      amount: 'Net Amount',
      department: 'Directorate',
      purpose: 'Description',
      supplierPostcode: 'Post Code',
      supplierId: 'Vendor ID',
    });
  });

  it('says what a mapping lacks', () => {
    expect(mappingProblems({ paidOn: 'Date', supplier: 'Date' }, ['Date', 'Who'])).toEqual(['Choose the column that holds the amount', 'The column “Date” is chosen for two fields: choose it for one']);
    expect(mappingProblems({ paidOn: 'Date', supplier: 'Who', amount: 'Cost' }, ['Date', 'Who'])).toEqual(['The file has no column “Cost” for the amount']);
  });

  it('reads amounts, credit notes included, in whole pence', () => {
    expect(amountInPence('1234.56')).toBe(123456);
    expect(amountInPence('£1,234.5')).toBe(123450);
    expect(amountInPence('-45.00')).toBe(-4500);
    expect(amountInPence('(45.00)')).toBe(-4500);
    expect(amountInPence('45.00 CR')).toBe(-4500);
    expect(amountInPence(' 600 ')).toBe(60000);
    for (const bad of ['', '12.345', '1,20', 'twelve', '£', '1.2.3']) expect(typeof amountInPence(bad), bad).toBe('object');
  });

  it('reads dates as councils write them, day first', () => {
    expect(paymentDate('2025-04-07')).toBe('2025-04-07');
    expect(paymentDate('07/04/2025')).toBe('2025-04-07');
    expect(paymentDate('7/4/25')).toBe('2025-04-07');
    expect(paymentDate('07-Apr-2025')).toBe('2025-04-07');
    expect(paymentDate('7 April 2025')).toBe('2025-04-07');
    expect(paymentDate('45754')).toBe('2025-04-07');
    for (const bad of ['31/02/2025', '2025-13-01', 'soon', '', '04/07/1899']) expect(typeof paymentDate(bad), bad).toBe('object');
  });
});
