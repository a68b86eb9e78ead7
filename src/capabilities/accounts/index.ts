import type { Capability } from '../../platform/capability.ts';
import { accountRoutes } from './routes.ts';

export const accounts: Capability = {
  name: 'accounts',
  purpose: 'Signing in and out, your account and password, and invitations to set a password.',
  routes: accountRoutes,
  personalData: [
    { table: 'users', userColumn: 'id' },
    { table: 'sessions', userColumn: 'user_id' },
    { table: 'invitations', userColumn: 'user_id' },
  ],
};
