import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** A user; lives in `auth`. */
@Entity({ tableName: 'users' })
export class User {
  static __database__ = 'auth';

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 254, unique: true })
  email!: string;

  @Property({ type: 'string', length: 100 })
  displayName!: string;
}
