import { BadRequestException, type PipeTransform } from '@nestjs/common';

/**
 * Path ids are positive integers; anything else is the client's mistake
 * (400), not a missing resource. The global ValidationPipe may already have
 * turned the text into a number (NaN for "abc"), so both forms are checked.
 */
export class ParseIdPipe implements PipeTransform<string | number, number> {
  transform(value: string | number): number {
    const id = typeof value === 'number' ? value : /^[1-9][0-9]{0,15}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(id) || id < 1) {
      throw new BadRequestException('id must be a positive integer, such as /accounts/1');
    }
    return id;
  }
}
