import type { Capability } from '../../platform/capability.ts';
import { organisationRoutes } from './routes.ts';

export const organisations: Capability = {
  name: 'organisations',
  purpose: 'The organisations taking part, their members and what role each member holds.',
  routes: organisationRoutes,
  personalData: [{ table: 'memberships', userColumn: 'user_id' }],
};
