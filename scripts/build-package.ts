/**
 * Builds what `npm pack` ships (`npm run build:package`, run by `prepack`), into dist/package:
 *
 * - `index.js`: the runtime API (src/approval/index.ts), the package's `email-approval` entry;
 * - `pulumi.js`: the Pulumi component (pulumi/approval/index.ts), its `email-approval/pulumi` entry;
 * - `lambda/<name>/`: the core's five functions prebuilt, which `pulumi.js` deploys as they are
 *   (it looks for them beside itself), so a consumer needs neither esbuild nor the sources;
 * - `types/`: declarations for both entries.
 *
 * Both entries are CommonJS with every npm package left external. The Pulumi packages are peer
 * dependencies: a program and the component must share one `@pulumi/pulumi`, or resources would
 * register with a runtime the program never runs. The runtime API's packages (the AWS SDK
 * clients, logger, zod, mustache) are the package's dependencies rather than bundled in: its
 * adapters take the consumer's own SDK clients, so both must be the same SDK copy, and a
 * consumer's Lambda bundler then tree-shakes and deduplicates them with its own code. The
 * Lambda bundles need none of them: they are self-contained.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { APPROVAL_FUNCTIONS, ROOT, bundleFunction, ensureTemplates, type ApprovalFunctionName } from '../pulumi/approval/bundle';

export const PACKAGE_DIR = join(ROOT, 'dist', 'package');

/** The package's two entries: output file → source. */
const ENTRIES = {
  'index.js': 'src/approval/index.ts',
  'pulumi.js': 'pulumi/approval/index.ts',
};

function buildEntry(outfile: string, entry: string) {
  return build({
    entryPoints: [join(ROOT, entry)],
    outfile: join(PACKAGE_DIR, outfile),
    bundle: true,
    platform: 'node',
    // The package's `engines`: Node 18 or newer.
    target: 'node18',
    // CommonJS keeps `__dirname`, by which pulumi.js finds the prebuilt functions beside it.
    format: 'cjs',
    packages: 'external',
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'error',
  });
}

/**
 * The functions' source maps without the sources they embed (more than half of the package,
 * mostly the AWS SDK's): stack traces still name the original file, line and column.
 */
function dropSourcesContent(dir: string): void {
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { sourcesContent?: unknown };
    delete map.sourcesContent;
    writeFileSync(join(dir, file), JSON.stringify(map));
  }
}

export async function buildPackage(): Promise<void> {
  ensureTemplates();
  rmSync(PACKAGE_DIR, { recursive: true, force: true });
  mkdirSync(PACKAGE_DIR, { recursive: true });
  // The declarations take longest (a type check), so tsc runs beside the bundling.
  const declarations = promisify(execFile)(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.package.json')], { cwd: ROOT }).then(
    () => undefined,
    (err: { stdout?: string }) => {
      throw new Error(`declarations: ${err.stdout || err}`);
    },
  );
  const bundles = Promise.all(Object.entries(ENTRIES).map(([outfile, entry]) => buildEntry(outfile, entry))).then(() => {
    for (const name of Object.keys(APPROVAL_FUNCTIONS) as ApprovalFunctionName[]) dropSourcesContent(bundleFunction(name, join(PACKAGE_DIR, 'lambda')));
  });
  await Promise.all([declarations, bundles]);
}

if (require.main === module) {
  const started = Date.now();
  buildPackage().then(
    () => console.log(`package: built into ${PACKAGE_DIR} in ${((Date.now() - started) / 1000).toFixed(1)} s`),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
