/**
 * Nest without TypeScript: decorators applied as the plain functions they are.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { multidb } from './multidb.mjs';

/**
 * A fresh module class with the given metadata (one per application, as imports differ).
 * @param {string} name
 * @param {import('@nestjs/common').ModuleMetadata} metadata
 */
export function makeModule(name, metadata) {
  const cls = { [name]: class {} }[name];
  Module(metadata)(cls);
  return cls;
}

/** No logs, and errors thrown instead of process.abort(). */
export const quietNest = { logger: false, abortOnError: false };

/**
 * A Nest application context (no HTTP) with MultiDbModule.setup(options); returns it and DbService.
 * @param {import('nestjs-multidb').MultiDbSetupOptions} options
 */
export async function multiDbContext(options) {
  const root = makeModule('BenchModule', { imports: [multidb.MultiDbModule.setup(options)] });
  const app = await NestFactory.createApplicationContext(root, quietNest);
  return { app, db: app.get(multidb.DbService) };
}
