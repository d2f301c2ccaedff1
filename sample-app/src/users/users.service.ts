import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { type EntityRepository, UniqueConstraintViolationException } from '@mikro-orm/core';
import { InjectRepository } from 'nestjs-multidb';
import { AuditService, type Page } from '../audit/audit.service.js';
import { User } from '../entities/index.js';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: EntityRepository<User>,
    private readonly audit: AuditService,
  ) {}

  async create(email: string, displayName: string): Promise<User> {
    const normalized = email.trim().toLowerCase();
    if (await this.users.count({ email: normalized })) throw this.#duplicate(normalized);
    const user = this.users.create({ email: normalized, displayName: displayName.trim() });
    try {
      await this.users.getEntityManager().flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw this.#duplicate(normalized);
      throw error;
    }
    await this.audit.record('user.created', 'auth/User', user.id);
    return user;
  }

  async get(id: number): Promise<User> {
    const user = await this.users.findOne({ id });
    if (!user) throw new NotFoundException(`User ${id} does not exist.`);
    return user;
  }

  find(id: number): Promise<User | null> {
    return this.users.findOne({ id });
  }

  async list(page: number, perPage: number): Promise<Page<User>> {
    const [items, total] = await this.users.findAndCount(
      {},
      { orderBy: { id: 'asc' }, limit: perPage, offset: (page - 1) * perPage },
    );
    return { items, total, page, perPage };
  }

  #duplicate(email: string): ConflictException {
    return new ConflictException(`A user with email ${email} already exists.`);
  }
}
