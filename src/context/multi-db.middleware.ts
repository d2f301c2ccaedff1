import { Injectable, type NestMiddleware } from '@nestjs/common';
import { DbService } from '../db.service.js';

/** Opens one request context over every database for each HTTP request (Express and Fastify). */
@Injectable()
export class MultiDbMiddleware implements NestMiddleware {
  constructor(private readonly db: DbService) {}

  use(_req: unknown, _res: unknown, next: (error?: unknown) => void): void {
    this.db.runInContext(next);
  }
}
