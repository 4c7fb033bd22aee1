import { ConfigType, registerAs } from '@nestjs/config';
import { IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { readSecretFile } from './secret-file';
import { validateEnv } from './validate-env';

class AuthEnv {
  /**
   * A file holding an admin key (a Docker secret) that the api stores, hashed,
   * under the name `bootstrap` when no key has that name yet: automation can
   * start with a key it made itself. An empty file means no bootstrap key.
   */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  readonly BOOTSTRAP_ADMIN_KEY_FILE?: string;
}

export const authConfig = registerAs('auth', () => {
  const file = validateEnv(AuthEnv).BOOTSTRAP_ADMIN_KEY_FILE;
  const key = file === undefined ? '' : readSecretFile('BOOTSTRAP_ADMIN_KEY_FILE', file, { allowEmpty: true }).trim();
  return { bootstrapKeyFile: file, bootstrapKey: key === '' ? undefined : key };
});

export type AuthConfig = ConfigType<typeof authConfig>;
