import { sql } from 'drizzle-orm';
import { check } from 'drizzle-orm/pg-core';

/**
 * A check constraint that a text column holds one of a fixed list (an enum without a Postgres enum type, so adding a
 * value is a plain migration on both engines). `nullable` also allows null.
 */
export const enumCheck = (name: string, column: string, values: readonly string[], nullable = false) =>
  check(name, sql.raw(`${nullable ? `${column} is null or ` : ''}${column} in (${values.map((v) => `'${v}'`).join(', ')})`));
