import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { authConfig, type AuthConfig } from '../config/auth.config';
import { KEY_RECIPE, parseKey } from './api-key';
import { ApiKeysService } from './api-keys.service';

export const BOOTSTRAP_KEY_NAME = 'bootstrap';

/** Stores the bootstrap admin key from its secret file, hashed, on the first start that has one. */
@Injectable()
export class BootstrapKeyService implements OnModuleInit {
  private readonly logger = new Logger(BootstrapKeyService.name);

  constructor(
    private readonly keys: ApiKeysService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const { bootstrapKey, bootstrapKeyFile } = this.config;
    if (bootstrapKey === undefined) return;
    const parsed = parseKey(bootstrapKey);
    if (!parsed) {
      // Never the file's content in the message: it may be a real secret, one character off.
      throw new Error(
        `Invalid environment: BOOTSTRAP_ADMIN_KEY_FILE=${bootstrapKeyFile} does not hold a key of this api; make one with: ${KEY_RECIPE}`,
      );
    }
    switch (await this.keys.adopt(BOOTSTRAP_KEY_NAME, 'admin', parsed)) {
      case 'stored':
        this.logger.log(`Stored the admin key from ${bootstrapKeyFile} as "${BOOTSTRAP_KEY_NAME}"`);
        break;
      case 'name_taken':
        // A revoked bootstrap key stays revoked; a new secret does not bring one back by itself.
        this.logger.warn(
          `A different key is named "${BOOTSTRAP_KEY_NAME}" (perhaps revoked), so the key in ${bootstrapKeyFile} ` +
            'was not stored; make new keys with an admin key, or with dist/cli/keys.js in the api container',
        );
        break;
      case 'known':
        break;
    }
  }
}
