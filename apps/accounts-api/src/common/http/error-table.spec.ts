import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_TABLE } from './error-table';

const README = join(__dirname, '../../../../../README.md');

/** The README's row for one code, as the table says it. */
function readmeRow(code: string): string {
  const { status, why, retryAfterSeconds } = ERROR_TABLE[code as keyof typeof ERROR_TABLE];
  const retry = retryAfterSeconds === undefined ? '' : `; \`Retry-After: ${retryAfterSeconds}\``;
  return `| \`${code}\` | ${status} | ${why}${retry} |`;
}

describe('the error table', () => {
  it("is the README's table of error codes, row for row and in order", () => {
    const readme = readFileSync(README, 'utf8').split('\n');
    const rows = readme.filter((line) => /^\| `[a-z_]+` \| \d{3} \|/.test(line));

    expect(rows).toEqual(Object.keys(ERROR_TABLE).map(readmeRow));
  });

  it('gives every server-side failure a 5xx and every client-side one a 4xx', () => {
    for (const [code, { status }] of Object.entries(ERROR_TABLE)) {
      expect([code, status >= 500]).toEqual([code, code.startsWith('store_')]);
    }
  });
});
