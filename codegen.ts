// Typed operations for tests and admin frontends, generated offline from the checked-in schema.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  ignoreNoDocuments: true,
  generates: {
    "test/gql/": {
      documents: ["test/**/*.graphql"],
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        emitLegacyCommonJSImports: false,
        enumsAsTypes: true,
        scalars: { DateTime: "string", ID: "string" },
      },
    },
    // The console's operations (console/src/operations.ts), typed for urql.
    "console/src/gql/": {
      documents: ["console/src/**/*.{ts,tsx}", "!console/src/gql/**"],
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: "string", ID: "string" },
      },
    },
  },
  silent: true,
};

export default config;
