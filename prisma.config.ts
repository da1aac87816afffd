/**
 * Prisma CLI configuration (migrate, db, generate).
 *
 * The provider follows DATABASE_URL exactly as the app does (lib/db/url.ts): the SQLite file by
 * default, PostgreSQL for `postgresql://` URLs. Each provider has its own derived schema and
 * migration folder under prisma/<provider>/ (see scripts/db-schemas.ts).
 *
 * Migrations run through our stand-in schema engine (prisma/engine/README.md): Prisma 7's CLI
 * otherwise downloads a native engine at start-up, which this network does not allow.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';
import { resolveDatabaseUrl } from './lib/db/url';

const root = path.dirname(fileURLToPath(import.meta.url));

process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(root, 'prisma', 'engine', 'schema-engine.mjs');
process.env.CHECKPOINT_DISABLE ??= '1';

const target = resolveDatabaseUrl(process.env);

export default defineConfig({
  schema: path.join(root, 'prisma', target.provider, 'schema.prisma'),
  migrations: { path: path.join(root, 'prisma', target.provider, 'migrations') },
  datasource: { url: target.url },
});
