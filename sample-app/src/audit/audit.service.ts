import { Injectable } from '@nestjs/common';
import type { EntityRepository } from '@mikro-orm/core';
import { InjectRepository } from 'nestjs-multidb';
import { AuditEntry } from '../entities/index.js';

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  perPage: number;
}

/** Appends one row to `meta`'s audit log for every write, wherever it happened. */
@Injectable()
export class AuditService {
  constructor(@InjectRepository(AuditEntry) private readonly audit: EntityRepository<AuditEntry>) {}

  async record(action: string, target: string, targetId: number): Promise<void> {
    this.audit.create({ action, target, targetId });
    await this.audit.getEntityManager().flush();
  }

  async list(page: number, perPage: number): Promise<Page<AuditEntry>> {
    const [items, total] = await this.audit.findAndCount(
      {},
      { orderBy: { id: 'desc' }, limit: perPage, offset: (page - 1) * perPage },
    );
    return { items, total, page, perPage };
  }
}
