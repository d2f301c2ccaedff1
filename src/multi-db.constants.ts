/** Injection token of the resolved module options (set by ConfigurableModuleBuilder). */
export const MULTIDB_MODULE_OPTIONS = 'MULTIDB:MODULE_OPTIONS';
/** Injection token of the started databases (an async provider: start-up happens there). */
export const MULTIDB_DATABASES = 'MULTIDB:DATABASES';
/** Token under which every forFeature module exposes its entities to the root module. */
export const MULTIDB_FEATURE_ENTITIES = 'MULTIDB:FEATURE_ENTITIES';
/** Prefix of every per-database token: `MULTIDB:<key>:…`. */
export const MULTIDB_TOKEN_PREFIX = 'MULTIDB';
/** A function applied to the module options before the databases start (the testing helpers swap databases with it). */
export const MULTIDB_OPTIONS_TRANSFORM = 'MULTIDB:OPTIONS_TRANSFORM';
