import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000135_initial extends Migration {
  override name = 'Migration20261122000135_initial';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "audit_log" ("id" serial primary key, "action" varchar(50) not null, "target" varchar(100) not null, "target_id" int not null, "at" timestamptz not null);`,
    );

    this.addSql(
      `create table "settings" ("name" varchar(100) not null, "value" varchar(500) not null, primary key ("name"));`,
    );
  }
}
