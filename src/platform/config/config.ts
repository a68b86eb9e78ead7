import path from 'node:path';
import { z } from 'zod';
import { parseKey } from '../crypto/envelope.ts';

/**
 * Every setting Patchwork reads from the environment, validated once at start so a typo fails loudly
 * with the variable's name instead of surfacing later as odd behaviour.
 */
const booleanish = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'], { message: 'must be one of 1, 0, true, false, yes, no' })
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const envSchema = z.object({
  PORT: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(3000),
  HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection URL')
    .optional(),
  PATCHWORK_DATA_DIR: z.string().min(1, 'must not be empty').default('var'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: booleanish.default(false),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  SECRET_KEY: z.string().min(32, 'must be at least 32 characters (try: openssl rand -base64 32)').optional(),
  SIGN_IN_RATE_LIMIT: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .default(10),
  PATCHWORK_SUPPRESSION_THRESHOLD: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(3, 'must be at least 3: smaller groups could identify people')
    .max(100, 'must be 100 or less')
    .default(5),
  PATCHWORK_DATA_KEY: z.string().min(1).optional(),
  PATCHWORK_RETIRED_DATA_KEYS: z.string().min(1).optional(),
  PATCHWORK_SUPPORT_RETENTION_MONTHS: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number of months')
    .min(1, 'must be at least 1')
    .max(1200, 'must be 1200 months or fewer')
    .default(36),
  PATCHWORK_BASEMAP_URL: z
    .string()
    .regex(/^https:\/\/[^/\s]+\/\S*\{z\}\S*\{x\}\S*\{y\}\S*$/, 'must be an https:// raster tile address with {z}, {x} and {y} in it, such as https://tiles.example.org/{z}/{x}/{y}.png')
    .optional(),
  PATCHWORK_BASEMAP_ATTRIBUTION: z.string().min(1).max(300, 'must be 300 characters or fewer').optional(),
});

export type Config = {
  port: number;
  host: string;
  /** Absent means the embedded PGlite engine stored under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  trustProxy: boolean;
  environment: z.infer<typeof envSchema>['NODE_ENV'];
  /** Signs CSRF tokens; made and kept under dataDir when not given. */
  secretKey: string | undefined;
  /** Sign-in attempts allowed per client address in each ten-minute window. */
  signInRateLimit: number;
  /** Published and exported breakdowns never show a count below this (small-number suppression). */
  suppressionThreshold: number;
  /** Wraps the data keys that protect personal data at rest (see platform/crypto/envelope.ts); made under dataDir when not given, outside production. */
  dataKey: string | undefined;
  /** Earlier data keys, still able to unwrap until `patchwork keys rotate` has re-wrapped everything. */
  retiredDataKeys: string[];
  /** Support records closed longer than this are flagged for erasure. */
  supportRetentionMonths: number;
  /** An optional raster basemap under the maps; the product works without one. */
  basemap: { url: string; origin: string; attribution: string } | undefined;
};

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Patchwork cannot start because of its configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(envSchema.shape)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const value = env[name];
        // Never echo a secret back into logs.
        const shown = value === undefined || ['SECRET_KEY', 'DATABASE_URL', 'PATCHWORK_DATA_KEY', 'PATCHWORK_RETIRED_DATA_KEYS'].includes(name) ? '' : ` (it is "${value}")`;
        return `${name} ${issue.message}${shown}`;
      }),
    );
  }
  const e = parsed.data;
  const keyProblems: string[] = [];
  for (const [name, value] of [['PATCHWORK_DATA_KEY', e.PATCHWORK_DATA_KEY], ...(e.PATCHWORK_RETIRED_DATA_KEYS ?? '').split(',').filter((k) => k.trim()).map((k, i) => [`PATCHWORK_RETIRED_DATA_KEYS (key ${i + 1})`, k])] as const) {
    if (!value) continue;
    try {
      parseKey(value, name);
    } catch (error) {
      keyProblems.push((error as Error).message);
    }
  }
  if (keyProblems.length) throw new ConfigError(keyProblems);
  if (e.PATCHWORK_BASEMAP_URL && !e.PATCHWORK_BASEMAP_ATTRIBUTION) {
    // A tile service's licence nearly always requires credit on the map.
    throw new ConfigError(['PATCHWORK_BASEMAP_ATTRIBUTION must be set when PATCHWORK_BASEMAP_URL is: the credit the basemap’s licence asks for, such as “© OpenStreetMap contributors”']);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.PATCHWORK_DATA_DIR),
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    environment: e.NODE_ENV,
    signInRateLimit: e.SIGN_IN_RATE_LIMIT,
    secretKey: e.SECRET_KEY,
    suppressionThreshold: e.PATCHWORK_SUPPRESSION_THRESHOLD,
    dataKey: e.PATCHWORK_DATA_KEY,
    retiredDataKeys: (e.PATCHWORK_RETIRED_DATA_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
    supportRetentionMonths: e.PATCHWORK_SUPPORT_RETENTION_MONTHS,
    basemap: e.PATCHWORK_BASEMAP_URL ? { url: e.PATCHWORK_BASEMAP_URL, origin: new URL(e.PATCHWORK_BASEMAP_URL.replace(/[{}]/g, '')).origin, attribution: e.PATCHWORK_BASEMAP_ATTRIBUTION! } : undefined,
  };
}
