// @ts-check
// ESLint: typescript-eslint's type-checked rules over the TypeScript, the
// recommended rules over the JavaScript, and no formatting rules: Prettier
// owns the layout (eslint-config-prettier turns off the rules it would fight).
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'reports/', '.stryker-tmp/', 'libs/client/src/schema.d.ts'] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore names a parameter an interface requires and this implementation ignores.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.int-spec.ts', '**/*.swarm-spec.ts', '**/*.cluster-spec.ts'],
    rules: {
      // jest types its asymmetric matchers (expect.any, expect.objectContaining) as any, and
      // supertest and JSON bodies come back as any: a spec's assertions are what check their
      // shape. Writing `any` stays an error here too (no-explicit-any).
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Stubs implement async interfaces with plain values.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Configs and scripts in plain JavaScript: no type information to check them with.
    ...tseslint.configs.disableTypeChecked,
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // nginx's njs runs these files with `ngx` as their one global.
    files: ['docker/proxy/auth-failures.js', 'docker/proxy/proxy-metrics.js'],
    languageOptions: { sourceType: 'module', globals: { ngx: 'readonly' } },
  },
  prettier,
);
