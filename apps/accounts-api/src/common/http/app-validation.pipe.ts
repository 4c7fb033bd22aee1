import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';

/**
 * The global ValidationPipe with `transform`, except that path parameters
 * stay the text the client sent: their own pipes (ParseIdPipe) must see
 * "1e3" or "0x1" to refuse them, not the number 1000 or 1 they convert to.
 */
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  protected override transformPrimitive(value: unknown, metadata: ArgumentMetadata): unknown {
    return metadata.type === 'param' ? value : super.transformPrimitive(value, metadata);
  }
}
