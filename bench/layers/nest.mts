/**
 * Nest with one controller and nothing of the app's: its router, execution
 * context and response handling, on Express (the api's platform) or, with
 * `fastify` as the argument, on Fastify, for bench/README.md's comparison.
 * Decorators are applied as the functions they are, since Node strips types
 * but does not transform decorator syntax.
 */
import 'reflect-metadata';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ACCOUNTS, port } from './accounts.mts';

class RootController {
  list(): unknown[] {
    return ACCOUNTS;
  }
}
const list = Object.getOwnPropertyDescriptor(RootController.prototype, 'list')!;
Post()(RootController.prototype, 'list', list);
HttpCode(200)(RootController.prototype, 'list', list);
Controller()(RootController);

class AppModule {}
Module({ controllers: [RootController] })(AppModule);

const platform = process.argv[2] === 'fastify' ? 'fastify' : 'express';
const adapter =
  platform === 'fastify'
    ? new (await import('@nestjs/platform-fastify')).FastifyAdapter()
    : new (await import('@nestjs/platform-express')).ExpressAdapter();
const app = await NestFactory.create(AppModule, adapter, { logger: false, bodyParser: platform === 'express' });
await app.listen(port(), '127.0.0.1');
