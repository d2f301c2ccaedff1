import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { EntityRepository } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { InjectRepository, MultiDbModule } from 'nestjs-multidb';

@Entity()
export class Invoice {
  static __database__ = 'tenant'; // one database per tenant

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  customer!: string;
}

@Controller('invoices')
export class InvoicesController {
  // a singleton, yet every call goes to the current request's tenant database
  constructor(@InjectRepository(Invoice) private readonly invoices: EntityRepository<Invoice>) {}

  @Post()
  async add(@Body() body: { customer: string }): Promise<Invoice> {
    const invoice = this.invoices.create({ customer: body.customer });
    await this.invoices.getEntityManager().flush();
    return invoice;
  }

  @Get()
  list(): Promise<Invoice[]> {
    return this.invoices.findAll();
  }
}

/** Your tenant catalogue: here a fixed list; usually a table in the `default` database. */
export const knownTenants = async (): Promise<string[]> => ['acme', 'globex'];

@Module({
  imports: [
    MultiDbModule.setup({
      databases: {
        default: 'sqlite:///data/main.db',
        tenant: {
          url: 'sqlite:///data/tenants/{tenant}.db', // or postgresql://app:secret@db/tenant_{tenant}
          tenants: { maxOpen: 50, list: knownTenants },
        },
      },
      // the tenant of a request: a header here; a sub-domain or a JWT claim work the same way
      tenantResolver: (req: IncomingMessage) => req.headers['x-tenant']?.toString(),
    }),
    MultiDbModule.forFeature([Invoice]),
  ],
  controllers: [InvoicesController],
})
export class TenantsAppModule {}
