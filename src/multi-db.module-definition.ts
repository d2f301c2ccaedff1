import { ConfigurableModuleBuilder, type ConfigurableModuleOptionsFactory, Scope } from '@nestjs/common';
import { MULTIDB_MODULE_OPTIONS } from './multi-db.constants.js';
import type { MultiDbModuleExtras, MultiDbModuleOptions } from './multi-db.options.js';

export const {
  ConfigurableModuleClass: ConfigurableMultiDbModule,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MultiDbModuleOptions>({ optionsInjectionToken: MULTIDB_MODULE_OPTIONS })
  .setClassMethodName('setup')
  .setFactoryMethodName('createMultiDbOptions')
  .setExtras<MultiDbModuleExtras>(
    { isGlobal: true, databaseKeys: [], scope: Scope.DEFAULT, forkOptions: {} },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
    }),
  )
  .build();

/** What `MultiDbModule.setup()` takes. */
export type MultiDbSetupOptions = typeof OPTIONS_TYPE;
/** What `MultiDbModule.setupAsync()` takes: `imports`, `inject`, `useFactory | useClass | useExisting`, `databaseKeys`. */
export type MultiDbSetupAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

/**
 * A class for `setupAsync({ useClass })` / `useExisting`: its `createMultiDbOptions()` returns the options
 * (or a promise of them), like @mikro-orm/nestjs's `MikroOrmOptionsFactory.createMikroOrmOptions()`.
 */
export type MultiDbOptionsFactory = ConfigurableModuleOptionsFactory<MultiDbModuleOptions, 'createMultiDbOptions'>;
