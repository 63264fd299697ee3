// The scope catalog at run time: built once at start-up (loadCatalog) and served from memory.
// Used by the GraphQL layer (scopeCatalog, scope(name:)) and the OAuth endpoints. Plugin
// authors import "scopekeeper/catalog" (./public.ts) instead.
export type { PermissionKind, HubDefinition, ScopeDefinition } from "./public.ts";
export { buildCatalog, CatalogError, HUB_ID_PATTERN, SCOPE_NAME_PATTERN } from "./registry.ts";
export type { Catalog, CatalogHub, CatalogScope, LoadedHub } from "./registry.ts";
export { loadCatalog, DEFAULT_PLUGINS_DIR, PROJECT_ROOT } from "./loader.ts";
export type { LoadCatalogOptions } from "./loader.ts";
export { BUILT_IN_HUB_ID, OPENID_SCOPES } from "./builtin.ts";
