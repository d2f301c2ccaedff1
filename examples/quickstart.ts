import 'reflect-metadata';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { EntityRepository } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { DbService, InjectRepository, MultiDbModule } from 'nestjs-multidb';

@Entity()
export class Note {
  // no __database__: lives in 'default'
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  text!: string;
}

@Entity()
export class Account {
  static __database__ = 'auth';

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', unique: true })
  email!: string;
}

@Controller()
export class AppController {
  constructor(
    @InjectRepository(Note) private readonly notes: EntityRepository<Note>,
    @InjectRepository(Account) private readonly accounts: EntityRepository<Account>,
  ) {}

  @Post('notes')
  async addNote(@Body() body: { text: string }): Promise<Note> {
    const note = this.notes.create({ text: body.text });
    await this.notes.getEntityManager().flush(); // writes to 'default'
    return note;
  }

  @Post('accounts')
  async addAccount(@Body() body: { email: string }): Promise<Account> {
    const account = this.accounts.create({ email: body.email });
    await this.accounts.getEntityManager().flush(); // writes to 'auth'
    return account;
  }

  @Get('counts')
  async counts(): Promise<{ notes: number; accounts: number }> {
    return { notes: await this.notes.count(), accounts: await this.accounts.count() };
  }
}

@Module({
  imports: [
    MultiDbModule.setup({
      databases: {
        default: process.env.DATABASE_URL ?? 'sqlite:///data/app.db',
        auth: process.env.AUTH_DATABASE_URL ?? 'sqlite:///data/auth.db',
      },
      entities: [Note, Account],
    }),
  ],
  controllers: [AppController],
})
export class AppModule {}

export async function bootstrap(port = Number(process.env.PORT ?? 3000)) {
  const app = await NestFactory.create(AppModule);
  await app.get(DbService).createAll(); // creates missing tables in every database
  await app.listen(port);
  return app;
}
