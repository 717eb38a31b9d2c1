// Lint: the recommended JS and typescript-eslint rules, plus a guard that keeps
// domain code free of AWS and Pulumi imports (the domain is pure: it knows nothing of AWS), and
// eslint-plugin-regexp, so no regular expression can backtrack super-linearly on input.
import js from '@eslint/js';
import regexpPlugin from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

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
  {
    files: ['src/domain/**/*.ts', 'src/services/**/*.ts', 'src/email/**/*.ts', 'src/pages/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@aws-sdk/*', '@pulumi/*', '@aws-lambda-powertools/*'], message: 'Domain code stays free of AWS: use a port.' }] },
      ],
    },
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
