import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000130_initial extends Migration {
  override name = 'Migration20261122000130_initial';

  override up(): void | Promise<void> {
    this.addSql(
      `create table \`users\` (\`id\` integer not null primary key autoincrement, \`email\` text not null, \`display_name\` text not null);`,
    );
    this.addSql(`create unique index \`users_email_unique\` on \`users\` (\`email\`);`);
  }
}
