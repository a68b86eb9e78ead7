import { createRequire } from 'node:module';

/**
 * Suggested themes from the words residents used: plain counting, no external service. A word or phrase is
 * counted once per response however often that response uses it, so one long answer repeating "bins" does
 * not outweigh five people who mention bins once. Phrases are runs of two or three words with no stop word or
 * punctuation between them ("bus station", not "bus to the station"), which keeps them readable as themes.
 *
 * Everything here is pure: the routes hand in the texts and show what comes back.
 */

// stopword ships CommonJS without type declarations; read through require so no ambient declaration is needed.
const stopword = createRequire(import.meta.url)('stopword') as { eng: string[] };

/** Words too common in conversation to make a theme, beyond stopword's list (which is written for prose). */
const conversational = [
  'not', 'no', 'so', 'just', 'really', 'lot', 'lots', 'bit', 'thing', 'things', 'also', 'able', 'always', 'quite', 'very', 'think', 'feel',
  'people', 'place', 'area', 'live', 'living', 'here', 'there', 'yes', 'ok', 'okay', 'etc', 'us', 'im', 'ive', 'dont', 'its', 'it’s',
  "i'm", "i've", "i'd", "i'll", "don't", "doesn't", "didn't", "can't", "won't", "isn't", "aren't", "wasn't", "it's", "that's", "there's",
  "they're", "we're", "you're", "we've", "they've", 'even', 'every', 'anything', 'something', 'nothing', 'everything', 'need', 'want', 'good', 'better',
  'would', 'could', 'should', 'will', 'shall', 'may', 'one', 'two', 'new', 'use', 'used', 'go', 'going', 'know', 'see', 'around', 'near',
];

export const stopWords: ReadonlySet<string> = new Set([...stopword.eng, ...conversational]);

/** Curly and prime quotes folded to the straight apostrophe; each is one UTF-16 unit, so offsets are kept. */
export function foldQuotes(text: string): string {
  return text.replace(/[\u2018\u2019\u201b\u2032\u0060\u00b4]/g, "'").replace(/[\u201c\u201d\u201e\u2033]/g, '"');
}

/** Words kept as they are although they end in s: not plurals, or plurals whose singular means something else. */
const notPlural = new Set(['news', 'series', 'species', 'always', 'perhaps', 'various', 'famous', 'nervous', 'previous', 'serious', 'towards', 'afterwards', 'whereas', 'christmas', 'means', 'lens', 'gas', 'yes']);

/** Plurals the rules below would get wrong (buses is not "buse"; houses and causes are left to the rules). */
const irregularPlurals: Record<string, string> = { buses: 'bus', gases: 'gas', children: 'child', women: 'woman', men: 'man', lives: 'life', knives: 'knife', wives: 'wife', leaves: 'leaf', policies: 'policy' };

/**
 * A conservative singular: parks → park, families → family, benches → bench, pemberton's → pemberton.
 * Words ending -ss, -us, -is (glass, bus, crisis) and short words are left alone; when unsure, the word stays.
 */
export function singular(word: string): string {
  let w = word;
  if (w.endsWith("'s")) w = w.slice(0, -2);
  else if (w.endsWith("s'")) w = w.slice(0, -1);
  if (w.length <= 3 || notPlural.has(w)) return w;
  const irregular = irregularPlurals[w];
  if (irregular) return irregular;
  if (/(ss|us|is|ys|os)$/.test(w) && !w.endsWith('sses')) return w;
  if (w.endsWith('ies') && w.length > 4) return `${w.slice(0, -3)}y`;
  if (/(sses|ches|shes|xes)$/.test(w)) return w.slice(0, -2);
  if (w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

export type Token = { word: string; start: number; end: number; clause: number };

/**
 * The words of a text, lower case and folded (letters, digits and apostrophes), with where each stands in the
 * text and which clause it is in: punctuation (other than apostrophes and hyphens) starts a new clause, so a
 * phrase never runs across a full stop or a comma.
 */
export function tokenise(text: string): Token[] {
  const folded = foldQuotes(text);
  const tokens: Token[] = [];
  let clause = 0;
  for (const m of folded.matchAll(/[\p{L}\p{N}']+|[^\p{L}\p{N}'\s-]/gu)) {
    const raw = m[0];
    if (!/[\p{L}\p{N}]/u.test(raw)) {
      clause++;
      continue;
    }
    // Apostrophes used as quote marks around a word are not part of it.
    const lead = raw.length - raw.replace(/^'+/, '').length;
    const core = raw.replace(/^'+/, '').replace(/'+$/, '');
    if (!core) continue;
    const start = m.index + lead;
    tokens.push({ word: singular(core.toLowerCase()), start, end: start + core.length, clause });
  }
  return tokens;
}

/** A word that may stand in a theme: not a stop word, not a bare number, at least two letters. */
export function isContentWord(word: string): boolean {
  return word.length >= 2 && !stopWords.has(word) && !stopWords.has(word.replace(/'/g, '')) && !/^\d+$/.test(word);
}

/** The runs of content words in a text: the stretches between stop words and punctuation. */
export function contentRuns(text: string): Token[][] {
  const runs: Token[][] = [];
  let run: Token[] = [];
  let clause = -1;
  for (const t of tokenise(text)) {
    if (!isContentWord(t.word) || t.clause !== clause) {
      if (run.length) runs.push(run);
      run = [];
    }
    clause = t.clause;
    if (isContentWord(t.word)) run.push(t);
  }
  if (run.length) runs.push(run);
  return runs;
}

/** The words and two- and three-word phrases in a text (folded, space-separated), each once. */
export function phrasesIn(text: string, longest = 3): Set<string> {
  const found = new Set<string>();
  for (const run of contentRuns(text)) {
    for (let n = 1; n <= longest; n++) {
      for (let i = 0; i + n <= run.length; i++) found.add(run.slice(i, i + n).map((t) => t.word).join(' '));
    }
  }
  return found;
}

/** A phrase as the folded words it stands for, so a typed theme name ("Parks") compares with "park". */
export function foldPhrase(text: string): string {
  return tokenise(text)
    .map((t) => t.word)
    .join(' ');
}

/** Where the phrase first appears in the text (its folded words, in order, within one clause), or null. */
export function findPhrase(text: string, phrase: string): { start: number; end: number } | null {
  const words = phrase.split(' ');
  const tokens = tokenise(text);
  for (let i = 0; i + words.length <= tokens.length; i++) {
    const slice = tokens.slice(i, i + words.length);
    if (slice.every((t, j) => t.word === words[j] && t.clause === slice[0]!.clause)) return { start: slice[0]!.start, end: slice[slice.length - 1]!.end };
  }
  return null;
}

/** A piece of text around a match, in three parts, so the template can wrap the middle in <mark> itself. */
export type Snippet = { before: string; match: string; after: string };

export function snippet(text: string, phrase: string, around = 60): Snippet | null {
  const at = findPhrase(text, phrase);
  if (!at) return null;
  let from = Math.max(0, at.start - around);
  let to = Math.min(text.length, at.end + around);
  // Cut at a space so words are not broken, when there is one near.
  if (from > 0) {
    const space = text.indexOf(' ', from);
    if (space !== -1 && space < at.start) from = space + 1;
  }
  if (to < text.length) {
    const space = text.lastIndexOf(' ', to);
    if (space > at.end) to = space;
  }
  return { before: `${from > 0 ? '…' : ''}${text.slice(from, at.start)}`, match: text.slice(at.start, at.end), after: `${text.slice(at.end, to)}${to < text.length ? '…' : ''}` };
}

export type ResponseText = { responseId: string; text: string };

export type Suggestion = {
  phrase: string;
  words: number;
  /** How many responses use it (once each, however often). */
  responses: number;
  responseIds: string[];
  /** The existing theme whose name folds to the same words, if any. */
  theme: string | null;
  examples: Snippet[];
};

export type SuggestOptions = {
  /** A word or phrase used in fewer responses than this is not suggested. */
  minResponses?: number;
  /** A phrase replaces its parts when it is in at least this share of their responses. */
  cover?: number;
  limit?: number;
  examples?: number;
};

/** Which responses use each word and phrase, from all the free text each gave. */
export function phraseIndex(texts: readonly ResponseText[]): Map<string, Set<string>> {
  const index = new Map<string, Set<string>>();
  for (const { responseId, text } of texts) {
    for (const phrase of phrasesIn(text)) {
      let ids = index.get(phrase);
      if (!ids) index.set(phrase, (ids = new Set()));
      ids.add(responseId);
    }
  }
  return index;
}

/** The responses whose free text uses the phrase (as folded words): the ones "tag all" would tag. */
export function responsesUsing(texts: readonly ResponseText[], phrase: string): string[] {
  const wanted = foldPhrase(phrase);
  const ids = new Set<string>();
  for (const { responseId, text } of texts) if (wanted && phrasesIn(text).has(wanted)) ids.add(responseId);
  return [...ids];
}

/**
 * Suggested themes: words and phrases used in at least `minResponses` responses, most responses first. A phrase
 * is preferred to the words in it when it covers most of their responses ("bus station" in 3 of the 4 responses
 * that say "bus" hides "bus" and "station"); a word used far more widely than the phrase stays as its own theme.
 */
export function suggestThemes(texts: readonly ResponseText[], themeNames: readonly string[] = [], options: SuggestOptions = {}): Suggestion[] {
  const { minResponses = 2, cover = 0.6, limit = 40, examples = 3 } = options;
  const index = phraseIndex(texts);
  const kept = new Map<string, Set<string>>();
  for (const [phrase, ids] of index) if (ids.size >= minResponses) kept.set(phrase, ids);

  const hidden = new Set<string>();
  const byLength = [...kept.keys()].sort((a, b) => b.split(' ').length - a.split(' ').length);
  for (const phrase of byLength) {
    if (hidden.has(phrase)) continue;
    const words = phrase.split(' ');
    if (words.length === 1) continue;
    const size = kept.get(phrase)!.size;
    for (let n = 1; n < words.length; n++) {
      for (let i = 0; i + n <= words.length; i++) {
        const part = words.slice(i, i + n).join(' ');
        const partIds = kept.get(part);
        if (partIds && size >= cover * partIds.size) hidden.add(part);
      }
    }
  }

  const themes = new Map(themeNames.map((name) => [foldPhrase(name), name]));
  const textsOf = new Map<string, string[]>();
  for (const { responseId, text } of texts) textsOf.set(responseId, [...(textsOf.get(responseId) ?? []), text]);

  const ranked = [...kept]
    .filter(([phrase]) => !hidden.has(phrase))
    .sort(([a, x], [b, y]) => y.size - x.size || b.split(' ').length - a.split(' ').length || a.localeCompare(b));
  // Overlapping phrases from the same responses ("bus station toilet", "station toilet shut") are one idea:
  // the first ranked stands for the rest.
  const shown: [string, Set<string>][] = [];
  for (const [phrase, ids] of ranked) {
    const words = new Set(phrase.split(' '));
    const same = shown.some(([other, otherIds]) => otherIds.size === ids.size && [...ids].every((id) => otherIds.has(id)) && other.split(' ').some((w) => words.has(w)));
    if (!same) shown.push([phrase, ids]);
  }
  return shown
    .slice(0, limit)
    .map(([phrase, ids]) => {
      const found: Snippet[] = [];
      for (const id of ids) {
        if (found.length >= examples) break;
        for (const text of textsOf.get(id) ?? []) {
          const s = snippet(text, phrase);
          if (s) {
            found.push(s);
            break;
          }
        }
      }
      return { phrase, words: phrase.split(' ').length, responses: ids.size, responseIds: [...ids], theme: themes.get(phrase) ?? null, examples: found };
    });
}
