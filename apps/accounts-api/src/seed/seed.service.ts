import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { seedConfig, type SeedConfig } from '../config/seed.config';
import { Store } from '../store/store';
import { readSeedFile, SeedFileError } from './seed-file';
import { importSeed, storeIsEmpty } from './seed-import';

export const RESEED_COMMAND = 'docker compose run --rm api dist/cli/reseed.js';

/** Fills an empty store from the seed file once; afterwards the store's data is the truth. */
@Injectable()
export class SeedService implements OnModuleInit {
  private readonly logger = new Logger(SeedService.name);

  constructor(
    private readonly store: Store,
    @Inject(seedConfig.KEY) private readonly seed: SeedConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    let accounts;
    try {
      accounts = readSeedFile(this.seed.file);
    } catch (error) {
      // A fresh store cannot start without its seed; a live one keeps serving its data.
      if (!(error instanceof SeedFileError) || (await storeIsEmpty(this.store.db))) throw error;
      this.logger.warn(`${error.message}; ignored, the store already holds data`);
      return;
    }
    const outcome = await importSeed(this.store, this.seed.file, accounts);
    switch (outcome.kind) {
      case 'imported':
        this.logger.log(`Imported ${outcome.accounts} accounts from ${this.seed.file} into ${this.store.location}`);
        break;
      case 'differs':
        this.logger.warn(
          `Seed file ${this.seed.file} differs from the seed imported at ${outcome.importedAt}; ` +
            `keeping the live data. To replace it with the seed, run: ${RESEED_COMMAND}`,
        );
        break;
      case 'unchanged':
        break;
    }
  }
}
