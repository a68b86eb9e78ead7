// Every table Patchwork has, for drizzle's typed queries. drizzle.config.ts finds the same files by glob
// to generate migrations; add a capability's schema here when it gains one.
export * from '../auth/schema.ts';
export * from '../audit/schema.ts';
export * from '../web/schema.ts';
export * from '../../capabilities/accounts/schema.ts';
export * from '../../capabilities/geography/schema.ts';
export * from '../../capabilities/indicators/schema.ts';
export * from '../../capabilities/composite-index/schema.ts';
export * from '../../capabilities/neighbourhoods/schema.ts';
export * from '../../capabilities/community-assets/schema.ts';
export * from '../../capabilities/partnerships/schema.ts';
export * from '../../capabilities/community-voice/schema.ts';
export * from '../../capabilities/funds/schema.ts';
export * from '../../capabilities/supporting-people/schema.ts';
export * from '../../capabilities/impact/schema.ts';
export * from '../../capabilities/community-wealth/schema.ts';
