import { describe, expect, it } from 'vitest';
import { findPhrase, foldPhrase, phrasesIn, responsesUsing, singular, snippet, suggestThemes, tokenise } from './text-analysis.ts';

describe('tokenising residents’ words', () => {
  it('lower-cases, keeps apostrophes inside words and folds curly quotes', () => {
    expect(tokenise('Don’t close the LIBRARY!').map((t) => t.word)).toEqual(["don't", 'close', 'the', 'library']);
    expect(tokenise('‘Wigan’ Pier').map((t) => t.word)).toEqual(['wigan', 'pier']);
  });

  it('starts a new clause at punctuation, so phrases do not run across it', () => {
    expect([...phrasesIn('The park, gardens')]).toEqual(['park', 'garden']);
    expect(phrasesIn('The bus station')).toContain('bus station');
  });

  it('drops stop words and bare numbers, and breaks phrases at them', () => {
    expect([...phrasesIn('the bus to the station is 24 hours')].sort()).toEqual(['bus', 'hour', 'station']);
  });

  it('folds simple plurals conservatively', () => {
    expect(['parks', 'families', 'benches', 'glasses', 'buses', 'shops', "pemberton's"].map(singular)).toEqual(['park', 'family', 'bench', 'glass', 'bus', 'shop', 'pemberton']);
    // Not plurals: left alone.
    expect(['bus', 'glass', 'news', 'crisis', 'gas', 'famous'].map(singular)).toEqual(['bus', 'glass', 'news', 'crisis', 'gas', 'famous']);
  });

  it('finds a phrase in the original text for highlighting, by its folded words', () => {
    const text = 'We love the Parks here, and the new bus station';
    const at = findPhrase(text, 'park')!;
    expect(text.slice(at.start, at.end)).toBe('Parks');
    expect(snippet(text, 'bus station')).toEqual({ before: 'We love the Parks here, and the new ', match: 'bus station', after: '' });
    expect(findPhrase(text, 'park bus')).toBeNull();
    expect(foldPhrase('Bus Stations')).toBe('bus station');
  });
});

describe('suggested themes', () => {
  // Hand-counted: "bus station" in responses a, b, c (b twice); "bus" alone also in d; "park" in d and e
  // (e says it twice); "litter" only in a; "toilets" in c only.
  const texts = [
    { responseId: 'a', text: 'The bus station is filthy and there is litter everywhere.' },
    { responseId: 'b', text: 'I love the new bus station. The bus station café is great' },
    { responseId: 'c', text: 'Bus Station toilets are always closed' },
    { responseId: 'd', text: 'The bus never comes; the parks are lovely though' },
    { responseId: 'e', text: 'Our park is lovely. Kids play in the park every day' },
  ];

  it('counts responses, not occurrences, and prefers a phrase covering most of its words’ responses', () => {
    const found = suggestThemes(texts);
    const byPhrase = new Map(found.map((s) => [s.phrase, s]));
    expect(byPhrase.get('bus station')?.responses).toBe(3);
    expect(byPhrase.get('bus station')?.responseIds.sort()).toEqual(['a', 'b', 'c']);
    // "bus" is in 4 responses and "bus station" covers 3 of them (at least 60%): the phrase stands for it.
    expect(byPhrase.has('bus')).toBe(false);
    expect(byPhrase.has('station')).toBe(false);
    expect(byPhrase.get('park')?.responses).toBe(2);
    expect(byPhrase.get('lovely')?.responses).toBe(2);
    // In one response only: not suggested.
    expect(byPhrase.has('litter')).toBe(false);
    expect(byPhrase.has('toilet')).toBe(false);
    // Most responses first.
    expect(found[0]!.phrase).toBe('bus station');
  });

  it('keeps a word used far more widely than the phrase it appears in', () => {
    const wide = [
      { responseId: '1', text: 'green space matters' },
      { responseId: '2', text: 'more green space' },
      { responseId: '3', text: 'green streets' },
      { responseId: '4', text: 'keep it green' },
      { responseId: '5', text: 'green and clean' },
    ];
    const found = new Map(suggestThemes(wide).map((s) => [s.phrase, s.responses]));
    expect(found.get('green space')).toBe(2);
    expect(found.get('green')).toBe(5);
    expect(found.has('space')).toBe(false);
  });

  it('shows overlapping phrases from the same responses once', () => {
    const same = [
      { responseId: '1', text: 'bus station toilets shut again' },
      { responseId: '2', text: 'Bus station toilets shut' },
    ];
    // "bus station toilet" and "station toilet shut" cover the same two responses: the first ranked stands for both.
    expect(suggestThemes(same).map((s) => [s.phrase, s.responses])).toEqual([['bus station toilet', 2]]);
  });

  it('marks suggestions matching an existing theme name, whatever its capitals and plural', () => {
    const found = suggestThemes(texts, ['Parks', 'Bus Station']);
    expect(found.find((s) => s.phrase === 'park')?.theme).toBe('Parks');
    expect(found.find((s) => s.phrase === 'bus station')?.theme).toBe('Bus Station');
    expect(found.find((s) => s.phrase === 'lovely')?.theme).toBeNull();
  });

  it('gives example snippets split around the match, never as markup', () => {
    const markup = [
      { responseId: 'x', text: '<b>bins</b> are never emptied' },
      { responseId: 'y', text: 'Bins overflowing' },
    ];
    const bins = suggestThemes(markup).find((s) => s.phrase === 'bin')!;
    expect(bins.examples).toEqual([
      { before: '<b>', match: 'bins', after: '</b> are never emptied' },
      { before: '', match: 'Bins', after: ' overflowing' },
    ]);
  });

  it('finds the responses using a phrase, for tagging them all', () => {
    expect(responsesUsing(texts, 'Bus Stations').sort()).toEqual(['a', 'b', 'c']);
    expect(responsesUsing(texts, 'park').sort()).toEqual(['d', 'e']);
    expect(responsesUsing(texts, '')).toEqual([]);
  });
});
