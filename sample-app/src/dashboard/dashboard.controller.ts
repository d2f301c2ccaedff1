import { Body, Controller, Get, HttpException, Post, Query, Res } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { DbService } from 'nestjs-multidb';
import { validate } from 'class-validator';
import { DatabasesService } from '../databases/databases.service.js';
import { CreatePostDto } from '../posts/posts.dto.js';
import { PostsService } from '../posts/posts.service.js';
import { CreateUserDto } from '../users/users.dto.js';
import { UsersService } from '../users/users.service.js';
import { renderDashboard } from './dashboard.view.js';

interface Redirectable {
  redirect(status: number, url: string): void;
}

@Controller()
export class DashboardController {
  constructor(
    private readonly databases: DatabasesService,
    private readonly users: UsersService,
    private readonly posts: PostsService,
    private readonly db: DbService,
  ) {}

  @Get()
  async page(@Query('notice') notice?: string, @Query('error') error?: string): Promise<string> {
    const [databases, users, posts] = await Promise.all([
      this.databases.report(),
      this.users.list(1, 100).catch(() => ({ items: [] })),
      this.posts.list(1, 10).catch(() => ({ items: [] })),
    ]);
    return renderDashboard({
      databases,
      pools: this.db.stats(),
      users: users.items,
      posts: posts.items,
      notice,
      error,
    });
  }

  @Post('dashboard/users')
  async addUser(@Body() body: Record<string, string>, @Res() res: Redirectable): Promise<void> {
    await this.#submit(res, CreateUserDto, body, async (dto) => {
      const user = await this.users.create(dto.email, dto.displayName);
      return `User ${user.displayName} added to auth.`;
    });
  }

  @Post('dashboard/posts')
  async addPost(@Body() body: Record<string, string>, @Res() res: Redirectable): Promise<void> {
    await this.#submit(res, CreatePostDto, { ...body, authorId: Number(body.authorId) }, async (dto) => {
      const post = await this.posts.create(dto);
      return `Post “${post.title}” added to default.`;
    });
  }

  /** Validates a form like the JSON API does, runs it, and redirects back with a notice or an error (303). */
  async #submit<T extends object>(
    res: Redirectable,
    type: new () => T,
    body: object,
    run: (dto: T) => Promise<string>,
  ): Promise<void> {
    const dto = plainToInstance(type, body);
    const problems = await validate(dto, { whitelist: true });
    if (problems.length > 0) {
      const message = problems.flatMap((p) => Object.values(p.constraints ?? {})).join('; ');
      return res.redirect(303, `/?error=${encodeURIComponent(message)}`);
    }
    try {
      res.redirect(303, `/?notice=${encodeURIComponent(await run(dto))}`);
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      res.redirect(303, `/?error=${encodeURIComponent(error.message)}`);
    }
  }
}
