import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { DbService } from '../db.service.js';
import { MULTIDB_DATABASES } from '../multi-db.constants.js';
import type { StartedDatabases } from '../orm/open-databases.js';

/**
 * Opens one request context over every database for each HTTP request (Express and Fastify),
 * after selecting the request's tenant when a `tenantResolver` is configured.
 */
@Injectable()
export class MultiDbMiddleware implements NestMiddleware {
  /** @internal Nest constructs it. */
  constructor(
    private readonly db: DbService,
    @Inject(MULTIDB_DATABASES) private readonly started: StartedDatabases,
  ) {}

  /** Runs the rest of the request in one request context over all databases (and in its tenant's, if any). */
  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    const { tenants } = this.started;
    if (!tenants.resolver) {
      this.db.runInContext(next);
      return;
    }
    tenants.enterRequest(req, res, () => this.db.runInContext(next)).catch(next);
  }
}
