// One linter for the whole repository: ESLint with typescript-eslint's recommended rules.
import js from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".aws-sam/**", ".stryker-tmp*/**", "reports/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { console: "readonly", process: "readonly", setTimeout: "readonly", clearTimeout: "readonly", URL: "readonly" }
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "no-restricted-imports": ["error", { paths: [{ name: "@effect/schema", message: "Use Schema from 'effect'." }] }]
    }
  },
  {
    // The product's modules import each module of `effect` and `@effect/platform` by its own path
    // (`import * as Effect from "effect/Effect"`): esbuild can then drop every export a bundle does
    // not use, where a barrel import keeps whole namespaces (all of `Schema`) and every module the
    // barrel reaches at a Lambda cold start (bench/results.md, lever 17). The same for the CLI's
    // packages, which Node loads whole from a barrel (the CLI is not bundled). Tests and benches may
    // use the barrels.
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: [
          { name: "@effect/schema", message: "Use Schema from 'effect/Schema'." },
          { name: "effect", message: "Import the module itself, e.g. `import * as Effect from \"effect/Effect\"` (bundle size; see eslint.config.js)." },
          { name: "@effect/platform", message: "Import the module itself, e.g. `import * as Headers from \"@effect/platform/Headers\"` (bundle size; see eslint.config.js)." },
          { name: "@effect/platform-node", message: "Import the module itself, e.g. `import * as NodeRuntime from \"@effect/platform-node/NodeRuntime\"` (start-up; see eslint.config.js)." },
          { name: "@effect/cli", message: "Import the module itself, e.g. `import * as Command from \"@effect/cli/Command\"` (start-up; see eslint.config.js)." }
        ]
      }]
    }
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" }
  },
  {
    // Function code as the Lambda Node.js runtime runs it: `awslambda` is the runtime's global.
    files: ["examples/functions/**", "test/conformance/functions/**"],
    languageOptions: { globals: { awslambda: "readonly", fetch: "readonly" } }
  }
)
