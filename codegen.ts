// Typed operations for tests and admin frontends, generated offline from the checked-in schema.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["test/**/*.graphql"],
  ignoreNoDocuments: true,
  generates: {
    "test/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        emitLegacyCommonJSImports: false,
        enumsAsTypes: true,
        scalars: { DateTime: "string", ID: "string" },
      },
    },
  },
  silent: true,
};

export default config;
