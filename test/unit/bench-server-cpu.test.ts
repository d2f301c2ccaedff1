import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript of the bench, without type declarations
import { serverCpuPerRequest, startServer } from '../../bench/lib/http-servers.mjs';

interface AppServer {
  get(path: string): Promise<string>;
  stop(): Promise<string | undefined>;
}

const busyApp = fileURLToPath(new URL('../fixtures/bench-busy-app.mjs', import.meta.url));

describe('bench scenario 3 (issue #16): server CPU per request, measured inside the server process', () => {
  it('charges the CPU the server spends on each request, and not the load generator’s', async () => {
    const server: AppServer = await startServer(busyApp, {});
    try {
      expect(await server.get('/busy/1')).toBe('{"ok":true}');
      const requests = 20;
      // the client waits on sockets only; the server spins 3 ms of its own CPU per request
      const spin = await serverCpuPerRequest(server, requests, async () => {
        for (let i = 0; i < requests; i++) await server.get('/busy/3');
      });
      const idle = await serverCpuPerRequest(server, requests, async () => {
        for (let i = 0; i < requests; i++) await server.get('/busy/0');
      });
      expect(spin.cpuPerRequest).toBeGreaterThanOrEqual(3000);
      expect(idle.cpuPerRequest).toBeLessThan(spin.cpuPerRequest - 2000);
    } finally {
      expect(await server.stop()).toBeUndefined();
    }
  });
});
