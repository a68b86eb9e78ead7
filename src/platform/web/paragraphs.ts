/** Paragraphs of typed text: blank lines separate paragraphs, single line breaks are kept inside them. */
export function paragraphsOf(typed: string | null): string[][] {
  return (typed ?? '')
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.split('\n').map((line) => line.trimEnd()))
    .filter((lines) => lines.some((line) => line.trim()));
}
