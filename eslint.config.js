// Lint: eslint with typescript-eslint (type-aware rules for promises and `any`).
import js from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "docs/", "bench/results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["eslint.config.js", "scripts/prepare.mjs", "scripts/bundle.mjs", "scripts/pack-manifest.mjs"] },
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-namespace": "off",
      "require-yield": "off"
    }
  },
  {
    // CONTRIBUTING.md: internal modules import only types from public modules (src/<Module>.ts
    // and the entry points); a value both need lives in src/internal and is re-exported.
    files: ["src/internal/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        patterns: [{
          regex: "^(\\.\\./)+([A-Z][A-Za-z]*|index|node|testing|http|cluster|otel)\\.js$",
          caseSensitive: true,
          allowTypeImports: true,
          message: "src/internal imports only types from public modules (CONTRIBUTING.md): move the value to src/internal and re-export it."
        }]
      }]
    }
  },
  {
    // Public modules are signatures, docs and delegation: they never reach into each other's
    // implementation through a relative path other than ./internal.
    files: ["src/*.ts"],
    rules: {
      "no-restricted-syntax": ["error", {
        selector: "CallExpression[callee.object.name='Object'][callee.property.name=/^(assign|defineProperty|defineProperties)$/]",
        message: "Build values whole (CONTRIBUTING.md): no Object.assign/defineProperty in public modules."
      }]
    }
  }
)
