// Mutation testing of the domain and services against the unit suites: `npm run test:mutation`
// (not part of `npm test`; see README, "Tests"). That script first runs scripts/stryker-mocha-12.ts,
// which lets @stryker-mutator/mocha-runner 10.0.0 load mocha 12.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'mocha',
  mochaOptions: {
    config: '.mocharc.json',
    // The suites that exercise the domain and services of the core and the example. The Pulumi, workflow-definition and
    // local-mode suites kill none of their mutants and take two thirds of a full run's time, which
    // every static mutant (one that runs at import) pays again.
    spec: ['adapters', 'domain', 'handlers', 'pages', 'services'].flatMap((layer) => [`test/approval/${layer}/**/*.test.ts`, `test/blog/${layer}/**/*.test.ts`]),
  },
  // The runner does not apply .mocharc.json's node-option.
  testRunnerNodeArgs: ['--import', 'tsx'],
  checkers: ['typescript'],
  // Only the mutated code and what it imports: about 400 files instead of 4,400.
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: ['src/{approval,blog}/domain/**/*.ts', 'src/{approval,blog}/services/**/*.ts', '!src/**/*.generated.ts'],
  ignorePatterns: ['.data', 'dist', 'test-artifacts', 'coverage'],
  // One type-checker and one test runner, then two test runners once every mutant is checked.
  concurrency: 2,
  timeoutMS: 10000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  clearTextReporter: { reportTests: false },
  thresholds: { high: 95, low: 90, break: 90 },
};
