import type { Configuration } from '@mikro-orm/core';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { describe, expect, it } from 'vitest';
import { boot } from '../fixtures/boot.js';

/** A SQLite driver that records when its connection starts and ends, and can fail to close. */
function recordingDriver(events: string[], options: { failClose?: boolean } = {}) {
  return class RecordingDriver extends SqliteDriver {
    constructor(config: Configuration) {
      super(config as never);
    }
    override async connect(...args: Parameters<SqliteDriver['connect']>) {
      const key = this.config.get('contextName');
      events.push(`connect:start:${key}`);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const result = await super.connect(...args);
      events.push(`connect:end:${key}`);
      return result;
    }
    override async close(force?: boolean) {
      const key = this.config.get('contextName');
      if (options.failClose) {
        events.push(`close:failed:${key}`);
        throw new Error(`close of ${key} failed`);
      }
      await super.close(force);
      events.push(`close:${key}`);
    }
  };
}

describe('start-up and shutdown', () => {
  it('starts all databases concurrently, not one after another', async () => {
    const events: string[] = [];
    const driver = recordingDriver(events);
    const { app } = await boot({
      databases: {
        default: { url: 'sqlite://', driver },
        auth: { url: 'sqlite://', driver },
        meta: { url: 'sqlite://', driver },
      },
    });
    const firstEnd = events.findIndex((e) => e.startsWith('connect:end'));
    const startsBeforeFirstEnd = events.slice(0, firstEnd).filter((e) => e.startsWith('connect:start'));
    expect(startsBeforeFirstEnd.sort()).toEqual(['connect:start:auth', 'connect:start:default', 'connect:start:meta']);
    await app.close();
  });

  it('one failing close does not keep the others open', async () => {
    const events: string[] = [];
    const { app } = await boot({
      databases: {
        default: { url: 'sqlite://', driver: recordingDriver(events) },
        auth: { url: 'sqlite://', driver: recordingDriver(events, { failClose: true }) },
        meta: { url: 'sqlite://', driver: recordingDriver(events) },
      },
    });
    await app.close();
    expect(events.filter((e) => e.startsWith('close')).sort()).toEqual([
      'close:default',
      'close:failed:auth',
      'close:meta',
    ]);
  });
});
