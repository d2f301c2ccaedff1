import type * as PromClient from 'prom-client';
import { messages } from '../errors/messages.js';
import { MetricsSetupError } from '../errors/multi-db.error.js';

/** prom-client's module, as `import('prom-client')` gives it. */
export type PromClientModule = typeof PromClient;

/** Loads the optional peer `prom-client` on demand; a missing one is a MetricsSetupError that says how to install it. */
export async function loadPromClient(
  importer: () => Promise<unknown> = () => import('prom-client'),
): Promise<PromClientModule> {
  try {
    const loaded = (await importer()) as PromClientModule & { default?: PromClientModule };
    // the CommonJS module seen from ESM: its named exports, or all of them under `default`
    return typeof loaded.Gauge === 'function' ? loaded : (loaded.default ?? loaded);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new MetricsSetupError(messages.metricsNotInstalled(reason ?? 'not found'), { cause: error });
  }
}
