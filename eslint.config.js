// ESLint flat config: typescript-eslint's non-type-checked `recommended` set, plus the
// architecture checks this lint exists for: layer boundaries (eslint-plugin-boundaries)
// and import cycles (eslint-plugin-import-x). No type-aware rules: lint stays fast.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import globals from 'globals';

const TS_FILES = ['**/*.ts'];
const tsResolverOptions = { alwaysTryTypes: true, project: './tsconfig.json' };

// Layers under src/, top to bottom. The first matching descriptor wins.
const elements = [
  { type: 'infra', pattern: 'src/infra', partialMatch: false },
  { type: 'resolvers', pattern: 'src/resolvers', partialMatch: false },
  { type: 'schema', pattern: 'src/schema', partialMatch: false },
  { type: 'services', pattern: 'src/services', partialMatch: false },
  { type: 'entities', pattern: 'src/entities', partialMatch: false },
  // The composition root: src/app/**, src/scripts/**, src/main.ts and anything else in src/.
  { type: 'app', pattern: 'src', partialMatch: false },
  { type: 'migrations', pattern: 'migrations', partialMatch: false },
  // Outside the layering: may import anything; nothing in src or migrations may import them.
  { type: 'tooling', pattern: ['test', 'bench'], partialMatch: false },
];

/** `from` may import its own layer and `to`; everything else between known elements is an error. */
const allow = (from, to) => ({
  from: { element: { type: from } },
  allow: { to: { element: { types: { anyOf: [from, ...to] } } } },
});

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    files: ['**/*.{ts,js}'],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },

  // --- Layer boundaries (src/, migrations/) and no cycles.
  {
    files: TS_FILES,
    plugins: { boundaries, 'import-x': importX },
    settings: {
      // boundaries resolves specifiers through eslint-module-utils' legacy resolver setting:
      // the TypeScript resolver maps `./x.js` to `./x.ts`.
      'import/resolver': { typescript: tsResolverOptions },
      'import-x/resolver-next': [createTypeScriptImportResolver(tsResolverOptions)],
      // import-x follows (and so finds cycles through) only files it may parse: TypeScript too.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'boundaries/elements': elements,
      'boundaries/include': ['src/**', 'migrations/**', 'test/**', 'bench/**', '*.ts', '*.js'],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          // Local files outside every element (mikro-orm.config.ts, jest.config.js) are off limits too.
          checkUnknownLocals: true,
          message:
            '{{from.type}} must not import {{#if to.type}}{{to.type}}{{else}}files outside the layers{{/if}} "{{dependency.source}}": dependencies point down the layers',
          policies: [
            allow('app', ['infra', 'resolvers', 'schema', 'services', 'entities', 'migrations']),
            // infra runs the migrations (src/infra/database.ts).
            allow('infra', ['services', 'entities', 'migrations']),
            allow('resolvers', ['schema', 'services', 'entities']),
            allow('schema', ['services', 'entities']),
            allow('services', ['entities']),
            allow('entities', []),
            allow('migrations', []),
            allow('tooling', ['app', 'infra', 'resolvers', 'schema', 'services', 'entities', 'migrations']),
          ],
        },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },

  // --- Entities map relations both ways (Hotel <-> RoomType <-> Room): MikroORM needs each
  // class to name the other, through lazy `() => Class` thunks that are safe at load time.
  {
    files: ['src/entities/**/*.ts'],
    rules: { 'import-x/no-cycle': 'off' },
  },

  // --- The domain stays free of transport, GraphQL and infrastructure packages (type imports too).
  {
    files: ['src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(graphql|type-graphql|graphql-ws|ws|ioredis|pino)(/.*)?$',
              message: 'services are the domain: no GraphQL, transport, Redis or logger packages (infra adapts them)',
            },
            {
              regex: '^@apollo/',
              message: 'services are the domain: no GraphQL, transport, Redis or logger packages (infra adapts them)',
            },
          ],
        },
      ],
    },
  },

  // --- The pages the server serves (src/infra/web/static): plain browser scripts, no build step.
  {
    files: ['src/infra/web/static/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },

  // --- Pragmatic adjustments to typescript-eslint's recommended set.
  {
    files: TS_FILES,
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        // `_`-prefixed names are deliberate (unused parameters kept for a signature, skipped destructured fields).
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read untyped GraphQL JSON responses; `any` there is the honest type.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
