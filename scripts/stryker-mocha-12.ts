/**
 * Lets Stryker's mocha runner load mocha 12. `npm run test:mutation` runs this before Stryker.
 *
 * @stryker-mutator/mocha-runner 10.0.0 (the newest, and it needs core 10.0.0 exactly) requires
 * mocha's CLI helpers by extensionless path (`lib/cli/run-helpers`). Mocha 12 ships them as
 * `.cjs`, which Node does not try, so the runner fails to load ("Cannot find TestRunner plugin
 * mocha"). This rewrites those three paths in the installed runner to name the `.cjs` files.
 * It changes nothing when mocha still ships the extensionless files, or when the runner already
 * knows `.cjs` (already patched, or fixed upstream), and fails loudly if the runner's code has
 * changed shape: then drop this step, or adapt it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = join(__dirname, '..');
const mochaCli = join(dirname(require.resolve('mocha/package.json', { paths: [root] })), 'lib', 'cli');
const runner = dirname(require.resolve('@stryker-mutator/mocha-runner/package.json', { paths: [root] }));
const wrapper = join(runner, 'dist', 'src', 'lib-wrapper.js');
const helpers = ['run-helpers', 'options', 'collect-files'];

function main(): void {
  if (existsSync(join(mochaCli, 'run-helpers.js'))) return console.log('stryker-mocha-12: mocha ships lib/cli/*.js, nothing to do');
  const source = readFileSync(wrapper, 'utf8');
  if (source.includes('/lib/cli/run-helpers.cjs')) return console.log('stryker-mocha-12: the mocha runner already loads .cjs');
  let replaced = 0;
  const patched = source.replace(/(\$\{mochaRoot\}\/lib\/cli\/)([a-z-]+)`/g, (whole, prefix: string, name: string) => {
    if (!helpers.includes(name) || !existsSync(join(mochaCli, `${name}.cjs`))) return whole;
    replaced += 1;
    return `${prefix}${name}.cjs\``;
  });
  if (replaced !== helpers.length) {
    throw new Error(`stryker-mocha-12: expected ${helpers.length} mocha CLI paths in ${wrapper}, found ${replaced}; the runner changed, adapt or drop this step`);
  }
  writeFileSync(wrapper, patched);
  console.log(`stryker-mocha-12: ${wrapper} now loads mocha's lib/cli/*.cjs`);
}

main();
