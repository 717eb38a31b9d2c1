/**
 * Section 5 of `npm run bench`: the cold path. Each Lambda bundled as deployed (ESM, ES builds of
 * the SDK, minified, split) and as a default esbuild bundle (`--bundle --platform=node`), then
 * loaded in fresh Node processes: bytes the entry loads before its handler can run, and the
 * median import time of 10 cold loads.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { APPROVAL_FUNCTIONS, ROOT, bundleEntry } from '../pulumi/approval/bundle';
import { BLOG_FUNCTIONS } from '../pulumi/blog/functions';

/** Every function the example deploys: the core's and the blog's. */
const FUNCTIONS: Record<string, string> = { ...APPROVAL_FUNCTIONS, ...BLOG_FUNCTIONS };
import { BUNDLE_LOAD_ENV } from '../test/support/bundle-env';

export interface BenchRow {
  figure: string;
  value: string;
  target: string;
  pass?: boolean;
}

const LOADS = 10;
const ENV = BUNDLE_LOAD_ENV;

/** Bytes of the entry and every chunk it imports statically (what a cold start must parse). */
function staticBytes(dir: string): number {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/(?:^|[;}])\s*import(?:[^'"();]*from)?\s*["'](\.\/[^"']+)["']/g)) visit(join(file, '..', m[1]!));
  };
  visit('index.mjs');
  return [...seen].reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

function medianLoadMs(file: string, esm: boolean): number {
  const script = esm
    ? `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t); process.exit(0);`
    : `const t = performance.now(); require(${JSON.stringify(file)}); console.log(performance.now() - t); process.exit(0);`;
  const args = esm ? ['--input-type=module', '-e', script] : ['-e', script];
  const times: number[] = [];
  for (let i = 0; i < LOADS; i++) times.push(Number(execFileSync(process.execPath, args, { env: ENV, encoding: 'utf8' }).trim()));
  times.sort((a, b) => a - b);
  return (times[LOADS / 2 - 1]! + times[LOADS / 2]!) / 2;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

export function benchBundles(progress: (line: string) => void): { rows: BenchRow[]; notes: string[] } {
  const out = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  const rows: BenchRow[] = [];
  try {
    for (const [name, entry] of Object.entries(FUNCTIONS)) {
      progress(`  bundling and loading ${name} (${LOADS} cold loads each way)…`);
      const dir = bundleEntry(name, entry, join(out, 'ours'));
      const plain = join(out, 'default', `${name}.js`);
      buildSync({ entryPoints: [join(ROOT, entry)], bundle: true, platform: 'node', outfile: plain, logLevel: 'error' });
      const ours = { bytes: staticBytes(dir), total: readdirSync(join(dir, 'chunks')).filter((f) => f.endsWith('.mjs')).reduce((s, f) => s + statSync(join(dir, 'chunks', f)).size, statSync(join(dir, 'index.mjs')).size), ms: medianLoadMs(join(dir, 'index.mjs'), true) };
      const base = { bytes: statSync(plain).size, ms: medianLoadMs(plain, false) };
      const target = name === 'review' ? 45 : 50;
      rows.push(
        { figure: `${name}: loaded at cold start, ours vs default`, value: `${kb(ours.bytes)} vs ${kb(base.bytes)} (${(ours.bytes / base.bytes).toFixed(2)}×)`, target: '', pass: undefined },
        { figure: `${name}: whole bundle (lazy chunks included)`, value: kb(ours.total), target: '' },
        {
          figure: `${name}: median load, ours vs default`,
          value: `${ours.ms.toFixed(1)} vs ${base.ms.toFixed(1)} ms (${(ours.ms / base.ms).toFixed(2)}×)`,
          target: `≤ ${target} ms`,
          pass: ours.ms <= target,
        },
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return {
    rows,
    notes: [
      `median of ${LOADS} imports, each in a fresh Node ${process.version} process; "default" is esbuild --bundle --platform=node (CJS, SDK main builds, not minified).`,
      'targets: half of the ~93–102 ms measured for bundles built the way SST does; the review GET path ≤ 45 ms (its KMS and Step Functions clients load on the first POST only).',
    ],
  };
}
