import { Injectable } from '@nestjs/common';
import type { EntityRepository } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { DbService, InjectRepository, MultiDbTransactional } from 'nestjs-multidb';

@Entity()
export class User {
  static __database__ = 'auth';

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', unique: true })
  email!: string;
}

@Entity()
export class Profile {
  // no __database__: lives in 'default'
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'integer' })
  userId!: number;

  @Property({ type: 'string' })
  bio!: string;
}

@Injectable()
export class SignupService {
  constructor(
    @InjectRepository(User) private readonly users: EntityRepository<User>,
    @InjectRepository(Profile) private readonly profiles: EntityRepository<Profile>,
    private readonly db: DbService,
  ) {}

  /** Both rows are committed when the method returns, neither when it throws. */
  @MultiDbTransactional({ databases: ['auth', 'default'], twoPhase: true })
  async signUp(email: string, bio: string): Promise<User> {
    const user = this.users.create({ email });
    await this.users.getEntityManager().flush(); // inside the transaction: user.id is known now
    this.profiles.create({ userId: user.id, bio });
    return user;
  }

  /** The same without a decorator: `fn` gets the transaction's EntityManagers by key. */
  closeAccount(userId: number): Promise<void> {
    return this.db.transaction(
      ['auth', 'default'],
      async (ems) => {
        await ems.default.nativeDelete(Profile, { userId });
        await ems.auth.nativeDelete(User, { id: userId });
      },
      { twoPhase: true },
    );
  }
}
