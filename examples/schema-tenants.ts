import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { EntityRepository } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { InjectRepository, MultiDbModule } from 'nestjs-multidb';

@Entity({ schema: 'public' }) // an explicit schema: one table shared by every tenant
export class Plan {
  static __database__ = 'tenant';

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  name!: string;
}

@Entity() // no schema: it lives in the current tenant's schema
export class Order {
  static __database__ = 'tenant';

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  item!: string;

  @ManyToOne(() => Plan, { nullable: true }) // tenant tables can join the shared ones
  plan?: Plan;
}

@Controller('orders')
export class OrdersController {
  constructor(@InjectRepository(Order) private readonly orders: EntityRepository<Order>) {}

  @Post()
  async add(@Body() body: { item: string }): Promise<Order> {
    const order = this.orders.create({ item: body.item });
    await this.orders.getEntityManager().flush();
    return order;
  }

  @Get()
  list(): Promise<Order[]> {
    return this.orders.findAll({ populate: ['plan'] });
  }
}

/** One database for every tenant: e.g. postgresql://app:secret@db:5432/app. */
export function schemaTenantsModule(url: string, tenants: () => Promise<string[]>) {
  @Module({
    imports: [
      MultiDbModule.setup({
        databases: {
          default: 'sqlite:///data/main.db',
          tenant: {
            url, // no {tenant}: every tenant is a schema in this one database, on one pool
            pool: { max: 10 },
            tenants: { mode: 'schema', schema: 'tenant_{tenant}', list: tenants },
          },
        },
        tenantResolver: (req: IncomingMessage) => req.headers['x-tenant']?.toString(),
      }),
      MultiDbModule.forFeature([Plan, Order]),
    ],
    controllers: [OrdersController],
  })
  class SchemaTenantsAppModule {}
  return SchemaTenantsAppModule;
}
