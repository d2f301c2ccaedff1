import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import type { EntityRepository } from '@mikro-orm/core';
import { InjectRepository } from 'nestjs-multidb';
import { AuditService, type Page } from '../audit/audit.service.js';
import { Post, type User } from '../entities/index.js';
import { UsersService } from '../users/users.service.js';
import type { CreatePostDto } from './posts.dto.js';

export type PostWithAuthor = Post & { author: User | null };

@Injectable()
export class PostsService {
  constructor(
    @InjectRepository(Post) private readonly posts: EntityRepository<Post>,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  /** The author lives in another database (`auth`): check it there before writing to `default`. */
  async create(dto: CreatePostDto): Promise<Post> {
    const author = await this.users.find(dto.authorId);
    if (!author) throw new BadRequestException(`Author ${dto.authorId} does not exist in the auth database.`);
    const post = this.posts.create({ title: dto.title.trim(), body: dto.body, authorId: author.id });
    await this.posts.getEntityManager().flush();
    await this.audit.record('post.created', 'default/Post', post.id);
    return post;
  }

  async get(id: number): Promise<PostWithAuthor> {
    const post = await this.posts.findOne({ id });
    if (!post) throw new NotFoundException(`Post ${id} does not exist.`);
    return { ...post, author: await this.users.find(post.authorId) };
  }

  async list(page: number, perPage: number): Promise<Page<Post>> {
    const [items, total] = await this.posts.findAndCount(
      {},
      { orderBy: { id: 'desc' }, limit: perPage, offset: (page - 1) * perPage },
    );
    return { items, total, page, perPage };
  }
}
