import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000136_initial extends Migration {
  override name = 'Migration20261122000136_initial';

  override up(): void | Promise<void> {
    this.addSql(
      `create table \`users\` (\`id\` int unsigned not null auto_increment primary key, \`email\` varchar(254) not null, \`display_name\` varchar(100) not null) default character set utf8mb4 engine = InnoDB;`,
    );
    this.addSql(`alter table \`users\` add unique \`users_email_unique\` (\`email\`);`);
  }
}
