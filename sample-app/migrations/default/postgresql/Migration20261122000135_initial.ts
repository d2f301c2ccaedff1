import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000135_initial extends Migration {
  override name = 'Migration20261122000135_initial';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "posts" ("id" serial primary key, "title" varchar(200) not null, "body" text not null, "author_id" int not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "posts_author_id_index" on "posts" ("author_id");`);
  }
}
