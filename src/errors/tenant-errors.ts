import { messages } from './messages.js';
import { MultiDbError } from './multi-db-error-base.js';

/** A tenant database (of a tenant template) cannot be used: unknown, invalid, not selected or closed. */
export class TenantError extends MultiDbError {
  constructor(
    message: string,
    key: string,
    /** The tenant key (undefined when no tenant was selected). */
    readonly tenant: string | undefined,
  ) {
    super(message, { key });
  }
}

/**
 * A tenant key does not match the safe pattern (it ends up in file names and database names), or the
 * name it gives its database is too long for the engine, or differs from another only in case.
 */
export class InvalidTenantKeyError extends TenantError {
  constructor(key: string, tenant: string, message: string = messages.invalidTenant(key, tenant)) {
    super(message, key, tenant);
  }
}

/** A tenant was used without being attached. */
export class UnknownTenantError extends TenantError {
  constructor(key: string, tenant: string, attached: number) {
    super(messages.unknownTenant(key, tenant, attached), key, tenant);
  }
}

/** A tenant template's database was used where no tenant is selected (no resolver result, no runForTenant). */
export class NoTenantError extends TenantError {
  constructor(key: string) {
    super(messages.noTenant(key), key, undefined);
  }
}

/** A tenant database was used after it was closed (shutdown, detach, eviction by `tenants.maxOpen`). */
export class TenantClosedError extends TenantError {
  /** Marks it as a database being unavailable right now (HTTP 503 through DatabaseUnavailableFilter). */
  readonly code = 'MULTIDB_DATABASE_CLOSED';

  constructor(key: string, tenant: string, message: string = messages.tenantClosed(key, tenant)) {
    super(message, key, tenant);
  }
}

/**
 * Every one of a template's `tenants.maxOpen` tenant databases stayed in use for the whole
 * `tenants.slotTimeout` while another tenant waited to open (HTTP 503 through DatabaseUnavailableFilter).
 */
export class TenantBusyError extends TenantError {
  constructor(
    key: string,
    tenant: string,
    /** The template's `tenants.maxOpen`. */
    readonly maxOpen: number,
    /** How long it waited for an open tenant to be released (ms). */
    readonly timeoutMs: number,
  ) {
    super(messages.tenantBusy(key, tenant, maxOpen, timeoutMs), key, tenant);
  }
}

/**
 * A tenant database was used after the request or runForTenant call that selected its tenant
 * ended, and its ORM has been closed since (evicted by `maxOpen`): a TenantClosedError that says why.
 */
export class TenantReleasedError extends TenantClosedError {
  constructor(key: string, tenant: string) {
    super(key, tenant, messages.tenantReleased(key, tenant));
  }
}
