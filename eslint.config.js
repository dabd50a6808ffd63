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
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" }
  },
  {
    // Function code as the Lambda Node.js runtime runs it: `awslambda` is the runtime's global.
    files: ["examples/functions/**", "test/conformance/functions/**"],
    languageOptions: { globals: { awslambda: "readonly", fetch: "readonly" } }
  }
)
