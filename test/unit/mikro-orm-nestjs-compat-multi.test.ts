// @mikro-orm/nestjs's tests/mikro-orm.module.test.ts ("Multiple Databases"), mikro-orm.middleware.test.ts and
// mikro-orm.module-middleware.test.ts, ported to nestjs-multidb. Each case keeps its title; "Translation:"
// comments say what changed. Common translations: one forRoot per contextName → one setup() with one key per
// context ('default' is required); getMikroORMToken / InjectMikroORM → getOrmToken / InjectOrm; entities name
// their database (`static __database__`, fixtures/mikro-orm-nestjs/multi.entities.ts) instead of
// forFeature(entities, contextName) placing them; MikroOrmModule.forMiddleware() → the module's own
// request-context middleware (one context over every database, on by default).
import { EntityManager, type EntityRepository, MikroORM } from '@mikro-orm/core';
import {
  Controller,
  Get,
  type INestApplication,
  Injectable,
  Logger,
  type MiddlewareConsumer,
  Module,
  type NestMiddleware,
  type NestModule,
} from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  getEntityManagerToken,
  getOrmToken,
  getRepositoryToken,
  InjectEntityManager,
  InjectOrm,
  MultiDbModule,
  type MultiDbModuleOptions,
} from 'nestjs-multidb';
import { Foo } from '../fixtures/mikro-orm-nestjs/foo.entity.js';
import { BarInDatabase2, BarMulti, FooInDatabase1, FooMulti } from '../fixtures/mikro-orm-nestjs/multi.entities.js';
import { common, configModule, testingModules } from '../fixtures/mikro-orm-nestjs/setup.js';

const databases = { default: 'sqlite://', database1: 'sqlite://', database2: 'sqlite://' };
const testOptions: MultiDbModuleOptions = { databases, entities: [FooInDatabase1, BarInDatabase2], common };
const { ConfigService, ConfigModule } = configModule(testOptions);
const { compile, close } = testingModules();

const checkProviders = async (module: TestingModule) => {
  const orm1 = module.get<MikroORM>(getOrmToken('database1'));
  const orm2 = module.get<MikroORM>(getOrmToken('database2'));
  const em1 = module.get<EntityManager>(getEntityManagerToken('database1'));
  const em2 = module.get<EntityManager>(getEntityManagerToken('database2'));
  expect(orm1).toBeDefined();
  expect(orm1.config.get('contextName')).toBe('database1');
  expect(orm2).toBeDefined();
  expect(orm2.config.get('contextName')).toBe('database2');
  expect(em1).toBeDefined();
  expect(em2).toBeDefined();
  expect(em1).not.toBe(em2);
};

describe('MikroORM Module', () => {
  afterEach(close);

  describe('Multiple Databases', () => {
    // Translation (all four): two forRoot / forRootAsync calls → one setup / setupAsync with both keys
    // (setupAsync declares them: databaseKeys)
    it('forRoot', async () => {
      await checkProviders(await compile([MultiDbModule.setup(testOptions)]));
    });

    it('forRootAsync :useClass', async () => {
      const root = MultiDbModule.setupAsync({
        imports: [ConfigModule],
        useClass: ConfigService,
        databaseKeys: ['database1', 'database2'],
      });
      await checkProviders(await compile([ConfigModule, root]));
    });

    it('forRootAsync :useExisting', async () => {
      const root = MultiDbModule.setupAsync({
        imports: [ConfigModule],
        useExisting: ConfigService,
        databaseKeys: ['database1', 'database2'],
      });
      await checkProviders(await compile([ConfigModule, root]));
    });

    it('forRootAsync :useFactory', async () => {
      const root = MultiDbModule.setupAsync({
        imports: [ConfigModule],
        useFactory: (logger: Logger) => ({ ...testOptions, common: { ...common, logger: logger.log.bind(logger) } }),
        inject: ['my-logger'],
        databaseKeys: ['database1', 'database2'],
      });
      await checkProviders(await compile([root]));
    });

    it('forFeature should return repositories', async () => {
      // Translation: forFeature({ entities: [Bar], contextName: 'database2' }) → forFeature([Bar], 'database2')
      const module = await compile([
        MultiDbModule.setup({ ...testOptions, entities: [] }),
        MultiDbModule.forFeature([FooInDatabase1], 'database1'),
        MultiDbModule.forFeature([BarInDatabase2], 'database2'),
      ]);
      const repository1 = module.get<EntityRepository<FooInDatabase1>>(getRepositoryToken(FooInDatabase1, 'database1'));
      const repository2 = module.get<EntityRepository<BarInDatabase2>>(getRepositoryToken(BarInDatabase2, 'database2'));
      expect(module.get<MikroORM>(getOrmToken('database1'))).toBeDefined();
      expect(repository1).toBeDefined();
      expect(module.get<MikroORM>(getOrmToken('database2'))).toBeDefined();
      expect(repository2).toBeDefined();
      expect(repository1.getEntityManager()).toBe(module.get(getEntityManagerToken('database1')));
    });

    it('forFeature and autoLoadEntities enabled should return repository', async () => {
      const { entities, ...options } = testOptions;
      const module = await compile([
        MultiDbModule.setup(options),
        MultiDbModule.forFeature([FooInDatabase1], 'database1'),
        MultiDbModule.forFeature([BarInDatabase2], 'database2'),
      ]);
      expect(() => module.get(getRepositoryToken(FooInDatabase1, 'database2'))).toThrow();
      expect(() => module.get(getRepositoryToken(BarInDatabase2, 'database1'))).toThrow();
      expect(module.get(getRepositoryToken(FooInDatabase1, 'database1'))).toBeDefined();
      expect(module.get(getRepositoryToken(BarInDatabase2, 'database2'))).toBeDefined();
    });
  });
});

// --- mikro-orm.module-middleware.test.ts: "Middleware executes request context" ---
@Controller('/foo')
class FooController {
  // class token, as in the original
  constructor(private database1: MikroORM) {}
  @Get()
  foo() {
    return this.database1.em !== this.database1.em.getContext();
  }
}

@Injectable()
class TestMiddleware implements NestMiddleware {
  constructor(private readonly em: EntityManager) {}
  use(_req: unknown, _res: unknown, next: (...args: unknown[]) => void) {
    this.em.setFilterParams('id', { id: '1' });
    return next();
  }
}

@Module({ imports: [MultiDbModule.forFeature([Foo])], controllers: [FooController] })
class FooModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(TestMiddleware).forRoutes('/');
  }
}

@Module({ imports: [MultiDbModule.setupAsync({ useFactory: () => ({ databases: 'sqlite://', common }) }), FooModule] })
class TestModule {}

// --- mikro-orm.middleware.test.ts: "Multiple Middleware executes request context for all MikroORM registered" ---
@Controller('/foo')
class MultiFooController {
  constructor(@InjectOrm('database-multi-foo') private database1: MikroORM) {}
  @Get()
  foo() {
    return this.database1.em !== this.database1.em.getContext();
  }
}
@Controller('/bar')
class MultiBarController {
  constructor(@InjectOrm('database-multi-bar') private database2: MikroORM) {}
  @Get()
  bar() {
    return this.database2.em !== this.database2.em.getContext();
  }
}
@Injectable()
class MultiTestMiddleware implements NestMiddleware {
  constructor(@InjectEntityManager('database-multi-foo') private readonly em: EntityManager) {}
  use(_req: unknown, _res: unknown, next: (...args: unknown[]) => void) {
    this.em.setFilterParams('id', { id: '1' });
    return next();
  }
}
@Module({ imports: [MultiDbModule.forFeature([FooMulti])], controllers: [MultiFooController] })
class MultiFooModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(MultiTestMiddleware).forRoutes('/');
  }
}
@Module({ imports: [MultiDbModule.forFeature([BarMulti])], controllers: [MultiBarController] })
class MultiBarModule {}
@Module({
  imports: [
    // Translation: forRootAsync('database-multi-foo') + forRoot('database-multi-bar') with
    // registerRequestContext: false + forMiddleware() → one setupAsync with both keys
    MultiDbModule.setupAsync({
      useFactory: () => ({
        databases: { default: 'sqlite://', 'database-multi-foo': 'sqlite://', 'database-multi-bar': 'sqlite://' },
        common,
      }),
      databaseKeys: ['database-multi-foo', 'database-multi-bar'],
    }),
    MultiFooModule,
    MultiBarModule,
  ],
})
class TestMultiModule {}

describe.each([
  ['Middleware executes request context', TestModule, ['/foo']],
  ['Multiple Middleware executes request context for all MikroORM registered', TestMultiModule, ['/foo', '/bar']],
] as const)('%s', (_, root, paths) => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleFixture = await Test.createTestingModule({ imports: [root] }).compile();
    app = moduleFixture.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app.close();
  });

  it.each(paths)(`forRoutes(%s) should return 'true'`, async (path) => {
    await request(app.getHttpServer()).get(path).expect(200, 'true');
  });
});
