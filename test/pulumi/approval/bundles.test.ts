import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { APPROVAL_FUNCTIONS, bundleEntry } from '../../../pulumi/approval/bundle';
import { BLOG_FUNCTIONS } from '../../../pulumi/blog/functions';

/** Every function the example deploys: the core's and the blog's. */
const FUNCTIONS: Record<string, string> = { ...APPROVAL_FUNCTIONS, ...BLOG_FUNCTIONS };
import { BUNDLE_LOAD_ENV } from '../../support/bundle-env';

const LOAD_ENV = BUNDLE_LOAD_ENV;

/** The files a bundle's entry loads before its handler can run (static imports only). */
function staticClosure(dir: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(dir, file), 'utf8');
    for (const m of code.matchAll(/(?:^|[;}])\s*import(?:[^'"();]*from)?\s*["'](\.\/[^"']+)["']/g)) {
      const target = join(file, '..', m[1]!);
      visit(target);
    }
  };
  visit('index.mjs');
  return [...seen];
}

describe('Lambda bundles', function () {
  this.timeout(120_000);
  const out = mkdtempSync(join(tmpdir(), 'bundles-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  for (const [name, entry] of Object.entries(FUNCTIONS)) {
    it(`builds ${name} as minified ESM with a source map, and loads it in a fresh Node process`, () => {
      const dir = bundleEntry(name, entry, out);
      expect(readdirSync(dir)).to.include.members(['index.mjs', 'index.mjs.map']);
      const printed = execFileSync(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(dir, 'index.mjs'))}); console.log(typeof m.handler); process.exit(0);`],
        { env: LOAD_ENV, encoding: 'utf8', timeout: 30_000 },
      );
      expect(printed.trim()).to.equal('function');
    });
  }

  it('empties the function’s folder before building, so old chunks never ship in the zip', () => {
    const dir = join(out, 'stale');
    mkdirSync(join(dir, 'notify', 'chunks'), { recursive: true });
    writeFileSync(join(dir, 'notify', 'chunks', 'chunk-OLD.mjs'), 'export {};');
    bundleEntry('notify', BLOG_FUNCTIONS.notify, dir);
    expect(readdirSync(join(dir, 'notify')).concat(existsSync(join(dir, 'notify', 'chunks')) ? readdirSync(join(dir, 'notify', 'chunks')) : [])).to.not.include('chunk-OLD.mjs');
  });

  it('keeps KMS and Step Functions out of what a review GET loads', () => {
    const dir = join(out, 'review');
    const loaded = staticClosure(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    expect(loaded).to.include('GetItem');
    expect(loaded).to.not.include('SendTaskSuccess').and.not.include('TrentService');
    // …while the bundle as a whole has them, in the chunk the first POST imports.
    const everything = [...readdirSync(join(dir, 'chunks'))].filter((f) => f.endsWith('.mjs')).map((f) => readFileSync(join(dir, 'chunks', f), 'utf8')).join('\n');
    expect(everything).to.include('SendTaskSuccess').and.include('TrentService');
  });

  it("leaves out of the example's functions the core they do not use, though they import it through one entry point", () => {
    // package.json's "sideEffects": false lets esbuild drop what the core's index re-exports and a
    // function never calls: the notify Lambda sends email, so no DynamoDB, KMS or Step Functions client.
    const dir = join(out, 'notify');
    const chunks = existsSync(join(dir, 'chunks')) ? readdirSync(join(dir, 'chunks')).filter((f) => f.endsWith('.mjs')).map((f) => join('chunks', f)) : [];
    const everything = ['index.mjs', ...chunks].map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    expect(everything).to.include('SendEmail');
    for (const client of ['DynamoDB_20120810', 'TrentService', 'AWSStepFunctions', 'secretsmanager']) expect(everything, client).to.not.include(client);
  });

  it('fails a cold start that lacks configuration, naming every missing variable', () => {
    const dir = join(out, 'request');
    let stderr = '';
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(join(dir, 'index.mjs'))})`], {
        env: { PATH: process.env.PATH },
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      stderr = String((err as { stderr: string }).stderr);
    }
    expect(stderr).to.include('Missing environment variables: TABLE_NAME, TOKEN_KEY_ID, MAC_SECRET_ID, SENDER_EMAIL, REVIEW_URL');
  });
});
