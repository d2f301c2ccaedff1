import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000135_initial extends Migration {
  override name = 'Migration20261122000135_initial';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "users" ("id" serial primary key, "email" varchar(254) not null, "display_name" varchar(100) not null);`,
    );
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);
  }
}
