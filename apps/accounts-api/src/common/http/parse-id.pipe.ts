import { BadRequestException, type PipeTransform } from '@nestjs/common';

/** Path ids are positive integers in plain decimal; anything else is the client's mistake (400), not a missing resource. */
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = /^[1-9][0-9]{0,15}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(id)) {
      throw new BadRequestException('id must be a positive integer, such as /accounts/1');
    }
    return id;
  }
}
