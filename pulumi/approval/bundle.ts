/**
 * The approval core's Lambda code. An installed package ships every function prebuilt (in
 * `lambda/<name>/` beside the compiled component) and uses that; in this repository the
 * functions are bundled from source with esbuild, which is loaded only then, so a consumer
 * of the package needs neither esbuild nor the sources.
 *
 * Lambda bundles with esbuild: ESM, minified, with source maps, preferring the AWS SDK's ES
 * builds (`module` before `main`), which tree-shake to smaller and faster-loading bundles.
 * Code splitting keeps what only one path needs (the review POST's KMS and Step Functions
 * clients) in a chunk that a GET never loads.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';

export const ROOT = join(__dirname, '..', '..');

/** The core's functions and their entry files. */
export const APPROVAL_FUNCTIONS = {
  request: 'src/approval/lambda/request.ts',
  review: 'src/approval/lambda/review.ts',
  sweeper: 'src/approval/lambda/sweeper.ts',
  admin: 'src/approval/lambda/admin.ts',
  closer: 'src/approval/lambda/closer.ts',
} as const;
export type ApprovalFunctionName = keyof typeof APPROVAL_FUNCTIONS;

/** CommonJS dependencies inside an ESM bundle still call require() for Node built-ins. */
const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Not exported: the package's declarations must not name esbuild, which a consumer does not install. */
function bundleOptions(entry: string, outdir: string): BuildOptions {
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

const AREAS = ['approval', 'blog'];

/**
 * The bundles embed the MJML templates compiled at build time. `npx pulumi up` on a fresh
 * clone has not run `npm run build:templates` yet, so compile them when missing or stale.
 */
export function ensureTemplates(): void {
  const stale = AREAS.some((area) => {
    const templates = join(ROOT, 'templates', area);
    const generated = join(ROOT, 'src', area, 'email', 'compiled-templates.generated.ts');
    const newest = Math.max(...readdirSync(templates).map((f) => statSync(join(templates, f)).mtimeMs));
    return !existsSync(generated) || statSync(generated).mtimeMs < newest;
  });
  if (stale) execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build-templates.ts')], { cwd: ROOT, stdio: 'inherit' });
}

/** Builds one entry file (relative to the repository) into `<outRoot>/<name>/` (index.mjs + chunks) and returns the folder. */
export function bundleEntry(name: string, entry: string, outRoot = join(ROOT, 'dist', 'lambda')): string {
  // An installed package has no sources (and no templates to compile): say so, rather than fail on a missing templates folder.
  if (!existsSync(join(ROOT, entry))) throw new Error(`${name}: no source ${entry} to bundle; the email-approval package ships only its own functions, prebuilt`);
  ensureTemplates();
  const outdir = join(outRoot, name);
  // Emptied first: chunk names carry content hashes, so a rebuild would otherwise add new chunks
  // beside the old ones, and every zip would carry every chunk ever built.
  rmSync(outdir, { recursive: true, force: true });
  // Loaded here, not at the top: an installed package never bundles, and does not depend on esbuild.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, on purpose
  const { buildSync } = require('esbuild') as typeof import('esbuild');
  buildSync(bundleOptions(entry, outdir));
  return outdir;
}

/** Builds one of the core's functions from source. */
export function bundleFunction(name: ApprovalFunctionName, outRoot?: string): string {
  return bundleEntry(name, APPROVAL_FUNCTIONS[name], outRoot);
}

/** The folder with a core function's code: the package's prebuilt bundle when there is one, else built from source. */
export function approvalFunctionCode(name: ApprovalFunctionName): string {
  const prebuilt = join(__dirname, 'lambda', name);
  return existsSync(join(prebuilt, 'index.mjs')) ? prebuilt : bundleFunction(name);
}
