import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000130_initial extends Migration {
  override name = 'Migration20261122000130_initial';

  override up(): void | Promise<void> {
    this.addSql(
      `create table \`posts\` (\`id\` integer not null primary key autoincrement, \`title\` text not null, \`body\` text not null, \`author_id\` integer not null, \`created_at\` datetime not null);`,
    );
    this.addSql(`create index \`posts_author_id_index\` on \`posts\` (\`author_id\`);`);
  }
}
