import { Controller, Get, Query } from '@nestjs/common';
import { AuditService } from './audit.service.js';
import { PagingQuery } from './paging.dto.js';

@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  list(@Query() query: PagingQuery) {
    return this.audit.list(query.page, query.perPage);
  }
}
