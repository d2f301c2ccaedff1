import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** Every entity of the `meta` database inherits its key. */
export abstract class MetaEntity {
  static __database__ = 'meta';
}

/** One row per write anywhere in the app. */
@Entity({ tableName: 'audit_log' })
export class AuditEntry extends MetaEntity {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  /** e.g. `user.created` */
  @Property({ type: 'string', length: 50 })
  action!: string;

  /** database key and entity, e.g. `auth/User` */
  @Property({ type: 'string', length: 100 })
  target!: string;

  @Property({ type: 'integer' })
  targetId!: number;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  at: Date & Opt = new Date();
}

@Entity({ tableName: 'settings' })
export class Setting extends MetaEntity {
  @PrimaryKey({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 500 })
  value!: string;
}
