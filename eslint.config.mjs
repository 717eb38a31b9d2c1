// Lint: the recommended JS and typescript-eslint rules, plus guards that keep the approval core
// and the blog example apart and domain code free of AWS and Pulumi imports, and
// eslint-plugin-regexp, so no regular expression can backtrack super-linearly on input.
import js from '@eslint/js';
import regexpPlugin from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

const NO_AWS = { group: ['@aws-sdk/*', '@pulumi/*', '@aws-lambda-powertools/*'], message: 'Domain code stays free of AWS: use a port.' };
const CORE_ONLY = { group: ['**/blog', '**/blog/**', '**/local', '**/local/**'], message: 'The approval core does not depend on the blog example or local mode.' };
const PUBLIC_CORE = { group: ['**/approval/**'], message: 'The example uses the core only through its entry points: import from src/approval or pulumi/approval.' };

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'test-artifacts/', '.stryker-tmp/', 'reports/', 'src/*/email/compiled-templates.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  regexpPlugin.configs.recommended,
  {
    rules: {
      // Input reaches regular expressions in handlers and validation: none may take more than linear time.
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
      // Character sets stay spelled out as the formats define them (base64url, digits).
      'regexp/prefer-d': 'off',
      'regexp/prefer-w': 'off',
      'regexp/use-ignore-case': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      // Validation deliberately matches control characters (CR, LF, NUL) to refuse them.
      'no-control-regex': 'off',
    },
  },
  // Core and example apart: the approval core never imports the blog example or local mode, and the
  // example uses the core only through its public entry points (src/approval/index.ts,
  // pulumi/approval/index.ts), as a package consumer would. Domain code also stays free of AWS.
  {
    files: ['src/approval/**/*.ts', 'pulumi/approval/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [CORE_ONLY] }] },
  },
  {
    files: ['src/approval/domain/**/*.ts', 'src/approval/services/**/*.ts', 'src/approval/email/**/*.ts', 'src/approval/pages/**/*.ts', 'src/blog/domain/**/*.ts', 'src/blog/services/**/*.ts', 'src/blog/email/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_AWS, CORE_ONLY] }] },
  },
  {
    files: ['src/blog/**/*.ts', 'pulumi/blog/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PUBLIC_CORE] }] },
  },
  {
    files: ['src/blog/domain/**/*.ts', 'src/blog/services/**/*.ts', 'src/blog/email/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_AWS, PUBLIC_CORE] }] },
  },
  {
    // Plain JavaScript run by the machine's own Node (scripts/newcomer-check.mjs).
    files: ['scripts/**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', fetch: 'readonly', setTimeout: 'readonly', URL: 'readonly', URLSearchParams: 'readonly' },
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.mjs', 'src/local/main.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
