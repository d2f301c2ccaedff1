import { Body, Controller, Get, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { PagingQuery } from '../audit/paging.dto.js';
import { CreatePostDto } from './posts.dto.js';
import { PostsService } from './posts.service.js';

@Controller('posts')
export class PostsController {
  constructor(private readonly posts: PostsService) {}

  @Post()
  create(@Body() dto: CreatePostDto) {
    return this.posts.create(dto);
  }

  @Get()
  list(@Query() query: PagingQuery) {
    return this.posts.list(query.page, query.perPage);
  }

  @Get(':id')
  get(@Param('id', ParseIntPipe) id: number) {
    return this.posts.get(id);
  }
}
