import {
  type Constructor,
  type EntityMetadata,
  type EntityName,
  type EntitySchema,
  loadOptionalDependencies,
  MetadataDiscovery,
  MetadataStorage,
  MikroORM,
  type Options,
} from '@mikro-orm/core';

/**
 * A MikroORM whose entity metadata was discovered once, by another ORM with the same driver,
 * entities and metadata options, and is shared read-only. Discovery is most of what creating an
 * ORM costs (1.2 of 1.3 ms for 11 entities on SQLite); everything else stays the ORM's own: its
 * configuration, driver, pool, EntityManager, identity maps, hydrator and comparator caches, and
 * the MetadataStorage that lists the (shared) EntityMetadata objects.
 *
 * `discoverEntity()` copies on write: the first call replaces this ORM's entries with metadata of
 * its own (a fresh discovery), in place, before it adds the new entities; the other ORMs never see
 * them, and this ORM's EntityManagers (forks and contexts included) do.
 */
export class SharedMetadataOrm extends MikroORM {
  readonly #metadata = new MetadataStorage();
  /** Set once this ORM has metadata of its own (discoverEntity). */
  #discovery?: MetadataDiscovery;

  /** Use `MetadataShare`: the ORM has no EntityManager until it is given its metadata (useMetadata). */
  constructor(options: Options) {
    super({ ...options, discovery: { ...options.discovery, skipSyncDiscovery: true } });
  }

  /** A discovery of this ORM's entities with its configuration and platform (MikroORM's own). */
  discovery(): MetadataDiscovery {
    return new MetadataDiscovery(new MetadataStorage(), this.driver.getPlatform(), this.config);
  }

  /** @internal Gives the ORM its (shared) metadata and its global EntityManager, once. */
  useMetadata(shared: MetadataStorage): this {
    for (const meta of shared) this.#metadata.set(meta.class, meta);
    // MikroORM's createEntityManager (private there)
    this.driver.setMetadata(this.#metadata);
    const em = this.driver.createEntityManager();
    (em as { global: boolean }).global = true;
    this.em = em as this['em'];
    // the entity classes' prototypes carry one ORM's helpers (MikroORM's own discovery: the last
    // one's); any ORM of this metadata will do, so they are decorated again only when another
    // ORM's metadata took them over (a quarter of an open's cost)
    if (!decoratedWith(shared)) this.#metadata.decorate(this.em);
    return this;
  }

  override getMetadata(): MetadataStorage;
  override getMetadata<Entity extends object>(entityName: EntityName<Entity>): EntityMetadata<Entity>;
  override getMetadata<Entity extends object>(
    entityName?: EntityName<Entity>,
  ): MetadataStorage | EntityMetadata<Entity> {
    return entityName ? this.#metadata.get(entityName) : this.#metadata;
  }

  override discoverEntity<T extends Constructor | EntitySchema>(
    entities: T | T[],
    reset?: EntityName | EntityName[],
  ): void {
    if (!this.#discovery) {
      // the shared EntityMetadata objects stay untouched: this ORM rediscovers its entities for itself
      this.#discovery = this.discovery();
      for (const meta of this.#discovery.discoverSync()) {
        this.#metadata.reset(meta.class);
        this.#metadata.set(meta.class, meta);
      }
    }
    // MikroORM's own discoverEntity, on this ORM's own metadata
    for (const name of reset === undefined ? [] : Array.isArray(reset) ? reset : [reset]) {
      this.#metadata.reset(name);
      this.#discovery.reset(name);
    }
    const found = this.#discovery.discoverReferences(Array.isArray(entities) ? entities : [entities]);
    for (const meta of this.#discovery.processDiscoveredEntities(found)) {
      this.#metadata.set(meta.class, meta);
      meta.root = this.#metadata.get(meta.root.class);
    }
    this.#metadata.decorate(this.em);
  }
}

/** Whether the entity prototypes of `metadata` were last decorated with it (EntityHelper.decorate). */
function decoratedWith(metadata: MetadataStorage): boolean {
  for (const meta of metadata) {
    if (meta.prototype && Object.getOwnPropertyDescriptor(meta.prototype, '__meta')?.value !== meta) return false;
  }
  return true;
}

/** Options MikroORM's discovery and platform read: ORMs may share metadata only when these agree. */
const METADATA_OPTIONS = [
  'schema',
  'namingStrategy',
  'metadataProvider',
  'metadataCache',
  'discovery',
  'entitiesTs',
  'embeddables',
  'forceUtcTimezone',
  'timezone',
  'propagationOnPrototype',
  'forceEntityConstructor',
  'forceUndefined',
  'multipleStatements',
  'disableTransactions',
  'entityRepository',
  'preferTs',
  'baseDir',
] as const;

/**
 * Metadata discovered once per driver, entity set and metadata options, for every ORM that agrees
 * on them: the tenants of a template, configured keys with the same entities. One per module.
 */
export class MetadataShare {
  /** SQLite folders created during this start-up (mikroOrmOptionsOf), each once. */
  readonly folders = new Map<string, Promise<unknown>>();
  readonly #ready = new Map<string, MetadataStorage>();
  readonly #pending = new Map<string, Promise<MetadataStorage>>();
  readonly #extensions = new Map<string, Promise<Options>>();
  readonly #ids = new WeakMap<object, number>();
  #nextId = 0;

  /**
   * MikroORM's optional extensions (migrations, seeder, entity generator) and metadata cache adapter,
   * imported once per share rather than per ORM (what MikroORM.init does first, with dynamic imports).
   */
  async prepare(options: Options): Promise<Options> {
    const given = options as unknown as Record<string, unknown>;
    const key = JSON.stringify(
      ['extensions', 'metadataCache', 'metadataProvider'].map((n) => given[n]),
      (_k, v) => this.#plain(v),
    );
    let loading = this.#extensions.get(key);
    if (!loading) {
      const loaded: Options = { ...options, extensions: [...(options.extensions ?? [])] };
      loading = loadOptionalDependencies(loaded).then(() => loaded);
      this.#extensions.set(key, loading);
    }
    const loaded = await loading.catch((error: unknown) => {
      this.#extensions.delete(key);
      throw error;
    });
    return {
      ...options,
      extensions: loaded.extensions,
      ...(loaded.metadataCache ? { metadataCache: loaded.metadataCache } : {}),
    };
  }

  /**
   * A new ORM for `options` (extensions loaded, see prepare), synchronously, as a tenant opens: the
   * first of its kind discovers the metadata, the others share it.
   */
  create(options: Options): MikroORM {
    const key = this.#fingerprint(options);
    const orm = new SharedMetadataOrm(options);
    let metadata = this.#ready.get(key);
    if (!metadata) {
      metadata = orm.discovery().discoverSync();
      this.#ready.set(key, metadata);
    }
    return orm.useMetadata(metadata);
  }

  /**
   * The same as create with MikroORM's asynchronous discovery (as `MikroORM.init`: it awaits async
   * `discovery.onMetadata` / `afterDiscovered` hooks), for configured keys, which start concurrently.
   */
  async init(options: Options): Promise<MikroORM> {
    const key = this.#fingerprint(options);
    const orm = new SharedMetadataOrm(options);
    let metadata = this.#ready.get(key);
    if (!metadata) {
      let discovering = this.#pending.get(key);
      if (!discovering) {
        discovering = orm.discovery().discover(orm.config.get('preferTs') ?? false);
        this.#pending.set(key, discovering);
      }
      try {
        metadata = await discovering;
      } finally {
        this.#pending.delete(key);
      }
      this.#ready.set(key, metadata);
    }
    return orm.useMetadata(metadata);
  }

  #fingerprint(options: Options): string {
    const parts = [this.#id(options.driver), ...(options.entities ?? []).map((e) => this.#id(e))].join(',');
    const given = options as unknown as Record<string, unknown>;
    const rest = METADATA_OPTIONS.map((name) => JSON.stringify(given[name], (_k, v: unknown) => this.#plain(v)));
    return `${parts}|${rest.join('|')}`;
  }

  /** Functions and class instances by identity (naming strategies, providers), data by value. */
  #plain(value: unknown): unknown {
    if (typeof value === 'function') return `#${this.#id(value)}`;
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.getPrototypeOf(value) !== Object.prototype
    ) {
      return `#${this.#id(value)}`;
    }
    return value;
  }

  #id(value: unknown): number | string {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return String(value);
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = ++this.#nextId;
      this.#ids.set(value, id);
    }
    return id;
  }
}
