import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';
import { DbService } from 'nestjs-multidb';
import { Invoice } from './tenants.js';

/** One bus for the whole app: a request of any tenant may emit on it. */
export const payments = new EventEmitter();

@Injectable()
export class PaymentListeners {
  constructor(private readonly db: DbService) {}

  /** ✗ Registered during tenant A's request, it runs in whichever request emits: tenant B's database. */
  recordWrong(): void {
    payments.once('paid', async (customer: string) => {
      this.db.em('tenant').create(Invoice, { customer });
      await this.db.em('tenant').flush();
    });
  }

  /** ✓ Names its tenant when it is registered, and runs for that tenant wherever it fires. */
  record(tenant: string): void {
    payments.once('paid', (customer: string) =>
      this.db.runForTenant(tenant, async () => {
        this.db.em('tenant').create(Invoice, { customer });
        await this.db.em('tenant').flush();
      }),
    );
  }
}

/** ✗ One promise for every tenant: the first caller's tenant fills it, and every tenant reads it. */
let cached: Promise<number> | undefined;
export const invoiceCountWrong = (db: DbService): Promise<number> => (cached ??= db.em('tenant').count(Invoice));

/** ✓ A cache keyed by the tenant, each entry filled for its own tenant. */
const counts = new Map<string, Promise<number>>();
export function invoiceCount(db: DbService, tenant: string): Promise<number> {
  const count = counts.get(tenant) ?? db.runForTenant(tenant, () => db.em('tenant').count(Invoice));
  counts.set(tenant, count);
  return count;
}
