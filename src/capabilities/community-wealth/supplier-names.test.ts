import { describe, expect, it } from 'vitest';
import { looksLikeIndividual, supplierKey } from './supplier-names.ts';

describe('supplier names', () => {
  it('brings one firm’s spellings to one key', () => {
    const spellings = ['ACME LTD', 'Acme Limited', 'Acme Ltd.', 'The Acme Ltd', 'ACME  UK LIMITED', 'Acme (UK) Ltd'];
    expect(new Set(spellings.map(supplierKey))).toEqual(new Set(['ACME']));
    expect(supplierKey('Smith & Sons Builders Ltd')).toBe('SMITH AND SONS BUILDERS');
    expect(supplierKey('Café Nouveau CIC')).toBe('CAFE NOUVEAU');
  });

  it('keeps apart names that only share a legal form, and never empties a name', () => {
    expect(supplierKey('Acme Ltd')).not.toBe(supplierKey('Acne Ltd'));
    expect(supplierKey('Limited')).toBe('LIMITED');
    expect(supplierKey('The Company')).toBe('COMPANY');
  });

  it('spots names of people, which are never published', () => {
    for (const name of ['REDACTED', 'Personal Information', 'Mr J Smith', 'Jane Smith', 'SMITH J']) expect(looksLikeIndividual(name), name).toBe(true);
    for (const name of ['Acme Ltd', 'Wigan Council', 'Marsh Green Community Association', 'Age UK Wigan Borough', 'NHS Wigan']) expect(looksLikeIndividual(name), name).toBe(false);
  });
});
