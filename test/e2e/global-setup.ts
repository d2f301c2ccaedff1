import type { TestProject } from 'vitest/node';
import { startMariaDb, startPostgres, type ThrowawayServer } from 'nestjs-multidb/testing';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: ServerInfo;
    mariadb: ServerInfo;
  }
}

/** What tests need to reach a throwaway server. */
export interface ServerInfo {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** Starts one PostgreSQL and one MariaDB server for the whole run; tests create their own databases. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers: ThrowawayServer[] = await Promise.all([startPostgres(), startMariaDb()]);
  const [postgres, mariadb] = servers as [ThrowawayServer, ThrowawayServer];
  const info = (s: ThrowawayServer): ServerInfo => ({ host: s.host, port: s.port, user: s.user, password: s.password });
  project.provide('postgres', info(postgres));
  project.provide('mariadb', info(mariadb));
  return async () => {
    await Promise.all(servers.map((s) => s.destroy()));
  };
}
