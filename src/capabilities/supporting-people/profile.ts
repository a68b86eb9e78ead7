import type { Viewer } from '../../platform/auth/permissions.ts';
import type { Tx } from '../../platform/db/database.ts';
import type { VoiceArea } from '../community-voice/areas.ts';
import { connectionsByCategory, introductionsByRoute, type Breakdown } from './insight.ts';

/**
 * "People supported" on ward, district and neighbourhood profiles: introductions by route and connections by
 * directory category for people living in the area, across every support team, each count suppressed. Only
 * signed-in members of an organisation see it: anonymous visitors get nothing, so the public pages kept in the
 * page cache (which are only ever made for anonymous visitors) never hold it.
 */

export type PeopleSupported = { areaName: string; threshold: number; routes: Breakdown; categories: Breakdown };

export async function peopleSupported(db: Tx, viewer: Viewer, area: VoiceArea, threshold: number): Promise<PeopleSupported | null> {
  if (!viewer.user || viewer.organisationIds.length === 0) return null;
  const scope = { partnershipId: null, from: null, to: null, area };
  return {
    areaName: area.name,
    threshold,
    routes: await introductionsByRoute(db, scope, threshold),
    categories: await connectionsByCategory(db, scope, threshold),
  };
}
