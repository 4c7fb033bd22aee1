import { ConfigType, registerAs } from '@nestjs/config';
import { IsNotEmpty, IsString } from 'class-validator';
import { validateEnv } from './validate-env';

class SeedEnv {
  /** Path of the seed accounts file; in the container it sits on a read-only bind mount. */
  @IsString()
  @IsNotEmpty()
  readonly SEED_FILE!: string;
}

export const seedConfig = registerAs('seed', () => ({
  file: validateEnv(SeedEnv).SEED_FILE,
}));

export type SeedConfig = ConfigType<typeof seedConfig>;
