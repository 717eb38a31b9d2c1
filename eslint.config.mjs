// Lint: the recommended JS and typescript-eslint rules, plus a guard that keeps
// domain code free of AWS and Pulumi imports (STYLE.md: domain code is pure).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'test-artifacts/', 'src/email/compiled-templates.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
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
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'src/local/main.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
