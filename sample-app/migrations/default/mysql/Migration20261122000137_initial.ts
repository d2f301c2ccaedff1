import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000137_initial extends Migration {
  override name = 'Migration20261122000137_initial';

  override up(): void | Promise<void> {
    this.addSql(
      `create table \`posts\` (\`id\` int unsigned not null auto_increment primary key, \`title\` varchar(200) not null, \`body\` text not null, \`author_id\` int not null, \`created_at\` datetime not null) default character set utf8mb4 engine = InnoDB;`,
    );
    this.addSql(`alter table \`posts\` add index \`posts_author_id_index\` (\`author_id\`);`);
  }
}
