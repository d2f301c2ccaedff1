import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000130_initial extends Migration {
  override name = 'Migration20261122000130_initial';

  override up(): void | Promise<void> {
    this.addSql(
      `create table \`audit_log\` (\`id\` integer not null primary key autoincrement, \`action\` text not null, \`target\` text not null, \`target_id\` integer not null, \`at\` datetime not null);`,
    );

    this.addSql(`create table \`settings\` (\`name\` text not null primary key, \`value\` text not null);`);
  }
}
