import type { Viewer } from '../../platform/auth/permissions.ts';
import type { Tx } from '../../platform/db/database.ts';
import type { MeasureDirection, MeasureSource } from './schema.ts';

/**
 * Measures linked to what Patchwork already holds: an Indices of Deprivation domain for one of the partnership's
 * areas, a local indicator, a community voice result, or a suppressed aggregate of people supported. Being written.
 */

/** Something a measure can be linked to, as the measure form offers it. */
export type LinkedChoice = { source: Exclude<MeasureSource, 'manual'>; ref: Record<string, string>; label: string; unit: string; direction: MeasureDirection; sourceNote: string };
export type LinkedPoint = { measuredOn: string; value: number; source: string };

export async function linkedChoices(_db: Tx, _viewer: Viewer, _partnershipId: string, _source: Exclude<MeasureSource, 'manual'>): Promise<LinkedChoice[]> {
  return [];
}

export async function linkedSeries(_db: Tx, _viewer: Viewer, _partnershipId: string, _source: Exclude<MeasureSource, 'manual'>, _ref: Record<string, string>, _threshold: number): Promise<{ points: LinkedPoint[]; notes: string[] }> {
  return { points: [], notes: [] };
}
