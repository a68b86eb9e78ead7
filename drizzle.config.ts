import { defineConfig } from 'drizzle-kit';

// One schema, one migration history, for both engines (PGlite and PostgreSQL).
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/platform/**/schema.ts', './src/capabilities/**/schema.ts'],
  out: './drizzle',
  strict: true,
});
