// The layering of src/ as a rule that fails `npm test` (test/layering.test.ts runs it).
// Rooms from the bottom up; a room may import its own level and anything below, never above:
//   0 foundation: ids, errors, logger, package-root, startup-lines, config, db, crypto, catalog, observability,
//                 changes (the change feed: writers of every level announce through it),
//                 ui/html.ts (escaping and the page frame)
//   1 records:    audit, throttles, mail (outbound messages)
//   2 who & may:  auth (who is calling), access (the one policy)
//   3 domain:     applications
//   4 doors:      oauth, graphql, ui, http
//   5 root:       services.ts, server.ts, start.ts, cli
// Type-only imports of the composition root's `Services` shape are allowed (they vanish at run
// time); every other import that runs back up a layer, every cycle, and a room missing from the
// table fails.
const levels = [
  ["src/(ids|errors|logger|package-root|startup-lines)\\.ts$", "src/(config|db|crypto|catalog|observability|changes)/", "src/ui/html\\.ts$"],
  ["src/(audit|throttles|mail)/"],
  ["src/(auth|access)/"],
  ["src/applications/"],
  ["src/(oauth|graphql|http)/", "src/ui/(?!html\\.ts$)"],
  ["src/(services|server|start)\\.ts$", "src/cli/"],
];
const pathOf = (level) => `(${levels[level].join("|")})`;
const above = (level) => levels.slice(level + 1).flat();

module.exports = {
  forbidden: [
    ...levels.slice(0, -1).map((_, level) => ({
      name: `layer-${level}-imports-upward`,
      comment: "a room imports a room of a higher layer (see the table at the top of .dependency-cruiser.cjs)",
      severity: "error",
      from: { path: pathOf(level) },
      to: { path: `(${above(level).join("|")})`, dependencyTypesNot: ["type-only"] },
    })),
    {
      name: "room-without-layer",
      comment: "a new room under src/ must take its place in the table at the top of .dependency-cruiser.cjs",
      severity: "error",
      from: { path: "^src/", pathNot: `(${levels.flat().join("|")})` },
      to: {},
    },
    {
      name: "no-runtime-cycles",
      comment: "modules that import each other at run time",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules|generated" },
    exclude: { path: "generated|node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
  },
};
