import 'reflect-metadata';
import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';

/** Creates the sample app with the pipes and settings it runs with (tests use the same). */
export async function createApp(options: { logger?: false } = {}): Promise<INestApplication> {
  // abortOnError: false — a database that cannot start is reported as an error, not a process abort
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    abortOnError: false,
    ...(options.logger === false ? { logger: false } : {}),
  });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.enableShutdownHooks();
  return app;
}
