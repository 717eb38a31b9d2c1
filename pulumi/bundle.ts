/**
 * Lambda bundles with esbuild: ESM, minified, with source maps, preferring the AWS SDK's ES
 * builds (`module` before `main`), which tree-shake to smaller and faster-loading bundles.
 * Code splitting keeps what only one path needs (the review POST's KMS and Step Functions
 * clients) in a chunk that a GET never loads.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync, type BuildOptions } from 'esbuild';

export const ROOT = join(__dirname, '..');

export const FUNCTIONS = {
  request: 'src/lambda/request.ts',
  review: 'src/lambda/review.ts',
  posts: 'src/lambda/posts.ts',
  notify: 'src/lambda/notify.ts',
  sweeper: 'src/lambda/sweeper.ts',
  admin: 'src/lambda/admin.ts',
  closer: 'src/lambda/closer.ts',
  'post-closer': 'src/lambda/post-closer.ts',
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

/** CommonJS dependencies inside an ESM bundle still call require() for Node built-ins. */
const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export function bundleOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: { index: join(ROOT, entry) },
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    banner: { js: REQUIRE_SHIM },
    logLevel: 'error',
  };
}

const GENERATED = join(ROOT, 'src', 'email', 'compiled-templates.generated.ts');

/**
 * The bundles embed the MJML templates compiled at build time. `npx pulumi up` on a fresh
 * clone has not run `npm run build:templates` yet, so compile them when missing or stale.
 */
export function ensureTemplates(): void {
  const templates = join(ROOT, 'templates');
  const newest = Math.max(...readdirSync(templates).map((f) => statSync(join(templates, f)).mtimeMs));
  if (existsSync(GENERATED) && statSync(GENERATED).mtimeMs >= newest) return;
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build-templates.ts')], { cwd: ROOT, stdio: 'inherit' });
}

/** Builds one function into dist/lambda/<name>/ (index.mjs + chunks) and returns the folder. */
export function bundleFunction(name: FunctionName, outRoot = join(ROOT, 'dist', 'lambda')): string {
  ensureTemplates();
  const outdir = join(outRoot, name);
  // Emptied first: chunk names carry content hashes, so a rebuild would otherwise add new chunks
  // beside the old ones, and every zip would carry every chunk ever built.
  rmSync(outdir, { recursive: true, force: true });
  buildSync(bundleOptions(FUNCTIONS[name], outdir));
  return outdir;
}
