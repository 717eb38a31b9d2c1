/**
 * The package as a consumer gets it: `npm pack` (which builds it), the tarball installed with npm
 * into a project outside the repository, and there a Pulumi program of its own
 * (test/package/consumer/program.ts: the approval service and a state machine that asks it for
 * approval) run by plain Node under Pulumi's mocks. The Pulumi packages, peer dependencies, are
 * linked from this repository's node_modules rather than downloaded again.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import aslValidator from 'asl-validator';
import { expect } from 'chai';
import { APPROVAL_FUNCTIONS, ROOT } from '../../pulumi/approval/bundle';
import { BUNDLE_LOAD_ENV } from '../support/bundle-env';

interface Resource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
interface Run {
  requestFunctionArn: string;
  resources: Resource[];
}

const FUNCTIONS = Object.keys(APPROVAL_FUNCTIONS);
const PEERS = ['@pulumi/pulumi', '@pulumi/aws', '@pulumi/random'];
/** Nothing from this repository's environment: the consumer resolves only its own node_modules. */
const CONSUMER_ENV = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: '', NODE_PATH: '' };

/** Every file under `dir` (relative paths), not following symbolic links. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

describe('the npm package, installed into a Pulumi program outside the repository', function () {
  // Packing builds the package (a type check and seven bundles), and npm then installs its dependencies.
  this.timeout(300_000);
  const work = mkdtempSync(join(tmpdir(), 'email-approval-package-'));
  const consumer = join(work, 'consumer');
  let installed: string;
  let run: Run;
  const resources = (type: string) => run.resources.filter((r) => r.type === type);
  const inConsumer = (script: string) => execFileSync(process.execPath, ['-e', script], { cwd: consumer, env: CONSUMER_ENV, encoding: 'utf8' });

  before(() => {
    const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    // The build's own progress line comes first on stdout; npm's JSON after it.
    const { filename } = (JSON.parse(packed.slice(packed.indexOf('\n[') + 1)) as { filename: string }[])[0]!;
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    for (const file of ['program.ts', 'main.ts']) copyFileSync(join(__dirname, 'consumer', file), join(consumer, file));
    execFileSync('npm', ['install', join(work, filename), '--prefer-offline', '--ignore-scripts', '--omit=peer', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: consumer,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const name of [...PEERS, '@types/node']) {
      mkdirSync(dirname(join(consumer, 'node_modules', name)), { recursive: true });
      symlinkSync(realpathSync(join(ROOT, 'node_modules', name)), join(consumer, 'node_modules', name), 'dir');
    }
    installed = realpathSync(join(consumer, 'node_modules', 'email-approval'));
    run = JSON.parse(execFileSync(process.execPath, ['main.ts'], { cwd: consumer, env: CONSUMER_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Run;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('ships the entries, their declarations and the five functions prebuilt, and no sources', () => {
    expect(readdirSync(installed).sort()).to.deep.equal(['README.md', 'dist', 'package.json']);
    const files = filesUnder(installed);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).to.deep.equal([]);
    expect(files).to.include.members(['dist/package/index.js', 'dist/package/pulumi.js', 'dist/package/types/src/approval/index.d.ts', 'dist/package/types/pulumi/approval/index.d.ts']);
    for (const name of FUNCTIONS) expect(files, name).to.include(`dist/package/lambda/${name}/index.mjs`);
  });

  it('installs without esbuild and runs no install scripts in the consumer', () => {
    expect(existsSync(join(consumer, 'node_modules', 'esbuild'))).to.equal(false);
    expect(filesUnder(join(consumer, 'node_modules')).filter((f) => f.split('/').includes('esbuild'))).to.deep.equal([]);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { scripts?: Record<string, string>; dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    expect(Object.keys(manifest.scripts ?? {})).to.not.include.any.members(['preinstall', 'install', 'postinstall']);
    expect(Object.keys(manifest.peerDependencies).sort()).to.deep.equal([...PEERS].sort());
    expect(manifest.dependencies).to.not.have.any.keys('esbuild', ...PEERS);
  });

  it('deploys the core’s five functions from the bundles inside the installed package, each loadable there', () => {
    const functions = resources('aws:lambda/function:Function');
    expect(functions.map((f) => f.name).sort()).to.deep.equal(FUNCTIONS.map((name) => `approvals-${name}-fn`).sort());
    for (const name of FUNCTIONS) {
      const fn = functions.find((f) => f.name === `approvals-${name}-fn`)!;
      const folder = join(installed, 'dist', 'package', 'lambda', name);
      expect((fn.inputs.code as { archivePath: string }).archivePath, name).to.equal(folder);
      expect(fn.inputs).to.include({ handler: 'index.handler', runtime: 'nodejs24.x' });
    }
    const script = `for (const name of ${JSON.stringify(FUNCTIONS)}) { const m = await import(${JSON.stringify(installed)} + '/dist/package/lambda/' + name + '/index.mjs'); console.log(name, typeof m.handler); } process.exit(0);`;
    const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: consumer, env: BUNDLE_LOAD_ENV, encoding: 'utf8', timeout: 60_000 });
    expect(loaded.trim().split('\n')).to.deep.equal(FUNCTIONS.map((name) => `${name} function`));
  });

  it('lets the consumer’s own state machine invoke the request function through the task contract', () => {
    expect(run.requestFunctionArn).to.equal('arn:aws:lambda:eu-west-1:123456789012:approvals-request-fn');
    const [machine] = resources('aws:sfn/stateMachine:StateMachine');
    expect(machine?.name).to.equal('release');
    const definition = JSON.parse(machine!.inputs.definition as string);
    expect(aslValidator(definition).isValid, aslValidator(definition).errorsText()).to.equal(true);
    const approve = definition.States.Approve;
    expect(approve.Resource).to.equal('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(approve.Parameters.FunctionName).to.equal(run.requestFunctionArn);
    expect(approve.Parameters.Payload).to.deep.include({ 'taskToken.$': '$$.Task.Token', 'executionId.$': '$$.Execution.Id', 'idempotencyKey.$': "States.Format('{}#Approve', $$.Execution.Id)" });
    expect(approve.Parameters.Payload.request).to.include({ subject: 'Release 2.0 to production', 'summary.$': '$.summary' });
    // The contract's Retry: Lambda's transient failures and the task's own retryable errors, then a crash once.
    expect(approve.Retry[0].ErrorEquals).to.include.members(['Lambda.ServiceException', 'EmailDeliveryFailed', 'Throttled', 'Unavailable']);
    expect(approve.Retry[1]).to.deep.include({ ErrorEquals: ['Lambda.Unknown'], MaxAttempts: 1 });
    expect(approve.Catch[0].ErrorEquals).to.deep.equal(['NoReviewers', 'InvalidApprovalRequest', 'EmailRejected']);
  });

  it('grants the state machine’s own role the request function only, and closes its requests when executions end', () => {
    const [role] = resources('aws:iam/role:Role').filter((r) => r.name === 'release-role');
    expect(JSON.parse(role!.inputs.assumeRolePolicy as string).Statement[0].Principal).to.deep.equal({ Service: 'states.amazonaws.com' });
    const [policy] = resources('aws:iam/rolePolicy:RolePolicy').filter((r) => r.name === 'release-invoke');
    expect(JSON.parse(policy!.inputs.policy as string).Statement).to.deep.equal([
      { Sid: 'InvokeApproval', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [run.requestFunctionArn, `${run.requestFunctionArn}:*`] },
    ]);
    const [rule] = resources('aws:cloudwatch/eventRule:EventRule').filter((r) => r.name === 'release-ended');
    expect(JSON.parse(rule!.inputs.eventPattern as string).detail.stateMachineArn).to.deep.equal(['arn:aws:states:eu-west-1:123456789012:release']);
    const targets = resources('aws:cloudwatch/eventTarget:EventTarget').filter((t) => t.inputs.rule === 'release-ended');
    expect(targets.map((t) => t.inputs.arn)).to.deep.equal(['arn:aws:lambda:eu-west-1:123456789012:approvals-closer-fn']);
  });

  it('exposes the runtime API to require(), and refuses to bundle sources it does not ship', () => {
    const printed = inConsumer(`
      const core = require('email-approval');
      const { ApprovalService, bundleEntry } = require('email-approval/pulumi');
      let refused;
      try { bundleEntry('request', 'src/approval/lambda/request.ts'); } catch (err) { refused = err.message; }
      console.log(JSON.stringify({ throttled: core.TASK_ERROR.THROTTLED, name: core.taskErrorName('NO_REVIEWERS'), service: typeof ApprovalService, refused }));`);
    const out = JSON.parse(printed);
    expect(out).to.deep.include({ throttled: 'Throttled', name: 'NoReviewers', service: 'function' });
    expect(out.refused).to.match(/no source src\/approval\/lambda\/request\.ts to bundle/);
    expect(existsSync(join(installed, 'dist', 'lambda'))).to.equal(false);
  });

  it('type-checks the consumer against the installed declarations, with Node’s and with the older module resolution', () => {
    const tsc = (config: object) => {
      writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(config));
      return execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', consumer], { cwd: consumer, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    };
    const strict = { strict: true, noEmit: true, skipLibCheck: true, target: 'ES2022', types: ['node'] };
    expect(tsc({ compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', allowImportingTsExtensions: true }, files: ['main.ts', 'program.ts'] })).to.equal('');
    // A `pulumi new typescript` project resolves modules the older way (no `exports`).
    expect(tsc({ compilerOptions: { ...strict, module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '5.0' }, files: ['program.ts'] })).to.equal('');
    // Declarations import only what a consumer has: skipLibCheck would hide a missing module.
    const imported = new Set(
      filesUnder(join(installed, 'dist', 'package', 'types'))
        .flatMap((f) => [...readFileSync(join(installed, 'dist', 'package', 'types', f), 'utf8').matchAll(/(?:from |import\()["']([^."'][^"']*)["']/g)].map((m) => m[1]!))
        .map((spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!)),
    );
    const missing = [...imported].filter((name) => !name.startsWith('node:') && !existsSync(join(consumer, 'node_modules', name)) && !existsSync(join(consumer, 'node_modules', '@types', name)));
    expect(missing).to.deep.equal([]);
  });
});
