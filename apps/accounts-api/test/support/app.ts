import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { APP_OPTIONS, configureApp } from '../../src/app.setup';
import { generateKey } from '../../src/auth/api-key';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import type { Scope } from '../../src/auth/scope';
import { SYSTEM_ACTORS } from '../../src/audit/audit-trail';

export const SEED = [
  { id: 1, name: 'joe', balance: 10 },
  { id: 2, name: 'bob', balance: -1 },
  { id: 3, name: 'fred', balance: 40 },
];

/**
 * The whole app in-process, configured as main.ts configures it, on a store
 * file and a seed file in a temporary folder of its own. `boot` may be called
 * again after `close` to restart on the same store.
 */
export class TestApp {
  readonly dir = mkdtempSync(join(tmpdir(), 'accounts-e2e-'));
  readonly seedFile = join(this.dir, 'seed', 'accounts.json');
  readonly storeFile = join(this.dir, 'state', 'accounts.db');
  /** The admin key the app stores from BOOTSTRAP_ADMIN_KEY_FILE on its first boot. */
  readonly adminKey = generateKey();
  readonly adminKeyFile = join(this.dir, 'bootstrap-admin-key');
  /** SQLite in this app's folder unless a spec boots it on another store. */
  storeUrl = `sqlite:${this.storeFile}`;
  app?: NestExpressApplication;

  constructor(seed: unknown = SEED) {
    this.writeSeed(seed);
    writeFileSync(this.adminKeyFile, `${this.adminKey}\n`);
  }

  writeSeed(seed: unknown): void {
    mkdirSync(join(this.dir, 'seed'), { recursive: true });
    writeFileSync(this.seedFile, typeof seed === 'string' ? seed : JSON.stringify(seed));
  }

  async boot(env: Record<string, string> = {}): Promise<NestExpressApplication> {
    Object.assign(
      process.env,
      {
        SEED_FILE: this.seedFile,
        STORE_URL: this.storeUrl,
        LOG_LEVEL: 'silent',
        BOOTSTRAP_ADMIN_KEY_FILE: this.adminKeyFile,
        // Any free port: specs run side by side, and every app counts and serves its metrics.
        METRICS_PORT: '0',
      },
      env,
    );
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication<NestExpressApplication>(APP_OPTIONS);
    configureApp(app);
    await app.init();
    this.app = app;
    return app;
  }

  get server() {
    if (!this.app) throw new Error('boot() the app first');
    return this.app.getHttpServer();
  }

  /** Requests to the app with the admin key, which may call every route. */
  get api() {
    return request.agent(this.server).set('Authorization', `Bearer ${this.adminKey}`);
  }

  /** A new key of the given scope, made as `keys.js create` makes one. */
  async key(scope: Scope, name = `${scope}-${Math.random().toString(36).slice(2, 8)}`): Promise<string> {
    return (await this.app!.get(ApiKeysService).create(name, scope, SYSTEM_ACTORS.cli)).key;
  }

  async close(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }

  async dispose(): Promise<void> {
    await this.close();
    rmSync(this.dir, { recursive: true, force: true });
    for (const name of [
      'SEED_FILE',
      'STORE_URL',
      'IDEMPOTENCY_KEY_TTL_SECONDS',
      'BOOTSTRAP_ADMIN_KEY_FILE',
      'METRICS_PORT',
    ]) {
      delete process.env[name];
    }
  }
}
