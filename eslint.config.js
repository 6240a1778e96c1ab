// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The layering rules of STYLE.md B1: routes never touch storage, services never touch HTTP.
    files: ['src/modules/**/*.routes.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/*.repository.js', '**/db/*'] }],
    },
  },
  {
    files: ['src/modules/**/*.service.ts', 'src/modules/**/*.repository.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['fastify'], patterns: ['**/*.routes.js', '**/http/*'] }],
    },
  },
  {
    files: ['bench/**/*.mjs', '.ci/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly' } },
  },
);
