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
    // Prototype pollution (docs/security.md, hostile input): assigning under a key computed at run time
    // reaches Object.prototype when the key is `__proto__`. Build such objects with nullObject()/setOwn()
    // from src/lib/safe-input.ts, or a Map; a site whose key is not input says why in a disable comment.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/testing/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "AssignmentExpression > MemberExpression.left[computed=true]:not([property.type='Literal']):not([property.type='UnaryExpression'])",
          message:
            'Computed-key assignment: use setOwn()/nullObject() from src/lib/safe-input.ts or a Map (prototype pollution), or say why the key is safe.',
        },
      ],
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
