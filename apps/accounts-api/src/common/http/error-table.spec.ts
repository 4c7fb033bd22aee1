import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_TABLE } from './error-table';

const ERRORS_PAGE = join(__dirname, '../../../../../docs/reference/errors.md');

/** The errors page's row for one code, as the table says it. */
function pageRow(code: string): string {
  const { status, why, retryAfterSeconds } = ERROR_TABLE[code as keyof typeof ERROR_TABLE];
  const retry = retryAfterSeconds === undefined ? '' : `; \`Retry-After: ${retryAfterSeconds}\``;
  return `| \`${code}\` | ${status} | ${why}${retry} |`;
}

describe('the error table', () => {
  it('is the table of error codes in docs/reference/errors.md, row for row and in order', () => {
    const page = readFileSync(ERRORS_PAGE, 'utf8').split('\n');
    const rows = page.filter((line) => /^\| `[a-z_]+` \| \d{3} \|/.test(line));

    expect(rows).toEqual(Object.keys(ERROR_TABLE).map(pageRow));
  });

  it('gives every server-side failure a 5xx and every client-side one a 4xx', () => {
    for (const [code, { status }] of Object.entries(ERROR_TABLE)) {
      expect([code, status >= 500]).toEqual([code, code.startsWith('store_')]);
    }
  });
});
