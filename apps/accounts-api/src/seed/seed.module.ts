import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { seedConfig } from '../config/seed.config';
import { SeedService } from './seed.service';

/** Fills a fresh store from the seed file at boot; `dist/cli/reseed.js` replaces a live store's data by hand. */
@Module({
  imports: [ConfigModule.forFeature(seedConfig)],
  providers: [SeedService],
})
export class SeedModule {}
