// shpjs ships no types; this is the one function Patchwork uses (geometry-input.ts). Without a projection it
// returns each record's geometry with the coordinates as stored, or null for a null shape.
declare module 'shpjs' {
  export function parseShp(shp: DataView | ArrayBuffer | Uint8Array, prj?: string | false): ({ type: string; coordinates: unknown } | null)[];
}
