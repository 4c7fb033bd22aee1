import { BadRequestException, type PipeTransform } from '@nestjs/common';

/** Path ids are positive integers; anything else is the client's mistake (400), not a missing resource. */
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = /^[1-9][0-9]{0,15}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(id)) {
      throw new BadRequestException(`id must be a positive integer, not ${JSON.stringify(value.slice(0, 40))}`);
    }
    return id;
  }
}
