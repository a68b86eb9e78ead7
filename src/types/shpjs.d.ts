// shpjs ships no types; these are the functions Patchwork uses (geometry-input.ts). Without a projection parseShp
// returns each record's geometry with the coordinates as stored, or null for a null shape; parseDbf returns each
// record's attributes, decoded by the .cpg's code page when there is one.
declare module 'shpjs' {
  export function parseDbf(dbf: DataView | ArrayBuffer | Uint8Array, cpg?: string): Record<string, unknown>[];
  export function parseShp(shp: DataView | ArrayBuffer | Uint8Array, prj?: string | false): ({ type: string; coordinates: unknown } | null)[];
}
