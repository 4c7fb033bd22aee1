import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { seedConfig, type SeedConfig } from '../config/seed.config';
import { readSeedFile } from '../store/seed-file';
import type { Account } from './account';

@Injectable()
export class AccountsService implements OnModuleInit {
  private accounts: readonly Account[] | undefined;

  constructor(@Inject(seedConfig.KEY) private readonly seed: SeedConfig) {}

  /** Loading at init makes a bad seed file stop the app at boot, before it listens. */
  onModuleInit(): void {
    this.accounts = readSeedFile(this.seed.file).sort((a, b) => a.id - b.id);
  }

  /** Every account, ordered by id. */
  list(): readonly Account[] {
    if (!this.accounts) {
      throw new Error('AccountsService used before the seed file was loaded');
    }
    return this.accounts;
  }

  isLoaded(): boolean {
    return this.accounts !== undefined;
  }
}
