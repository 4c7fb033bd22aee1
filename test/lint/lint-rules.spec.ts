import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * `npm run lint` is only worth its place at the head of `npm test` if each of
 * its checks fails on the mistake it exists for. This copies the code and
 * the lint configs into a temporary tree, plants one violation of each kind,
 * and runs the same command `npm run lint` runs for that kind.
 */
const ROOT = join(__dirname, '..', '..');
const SRC = 'apps/accounts-api/src';
/** The folders lint:layers cruises. */
const CODE = ['apps', 'libs', 'test', 'bench'];
const CONFIGS = [
  'package.json',
  'tsconfig.json',
  'eslint.config.mjs',
  '.prettierrc.json',
  '.prettierignore',
  '.editorconfig',
  '.dependency-cruiser.cjs',
];

const run = promisify(execFile);

async function lint(tree: string, script: string, ...files: string[]): Promise<{ failed: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(
      'npm',
      ['run', '--silent', script, ...(files.length ? ['--', ...files] : [])],
      {
        cwd: tree,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return { failed: false, output: stdout + stderr };
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { failed: true, output: stdout + stderr };
  }
}

// ESLint builds a TypeScript program before it checks one file: seconds alone, more on a busy machine.
jest.setTimeout(120_000);

describe('npm run lint', () => {
  let tree: string;

  beforeAll(() => {
    tree = mkdtempSync(join(tmpdir(), 'accounts-lint-'));
    for (const folder of CODE) cpSync(join(ROOT, folder), join(tree, folder), { recursive: true });
    for (const file of CONFIGS) cpSync(join(ROOT, file), join(tree, file));
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
  });

  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  const plant = (file: string, text: string): string => {
    writeFileSync(join(tree, SRC, file), text);
    return `${SRC}/${file}`;
  };

  it('fails on an import from common/ up into a feature', async () => {
    plant('common/http/upward.ts', "export { AccountsService } from '../../accounts/accounts.service';\n");

    const result = await lint(tree, 'lint:layers');

    rmSync(join(tree, SRC, 'common/http/upward.ts'));
    expect(result.failed).toBe(true);
    expect(result.output).toMatch(/common-is-feature-free: .*common\/http\/upward\.ts → .*accounts\.service\.ts/);
  });

  it('fails on an import cycle', async () => {
    plant('common/http/ping.ts', "import { pong } from './pong';\nexport const ping = (): string => pong();\n");
    plant('common/http/pong.ts', "import { ping } from './ping';\nexport const pong = (): string => typeof ping;\n");

    const result = await lint(tree, 'lint:layers');

    rmSync(join(tree, SRC, 'common/http/ping.ts'));
    rmSync(join(tree, SRC, 'common/http/pong.ts'));
    expect(result.failed).toBe(true);
    expect(result.output).toMatch(/no-circular: .*common\/http\/ping\.ts/);
  });

  it('fails on a file Prettier would lay out differently', async () => {
    const file = plant('common/http/crowded.ts', 'export const crowded = {a:1,b:2};\n');

    const result = await lint(tree, 'lint:format', file);

    expect(result.failed).toBe(true);
    expect(result.output).toContain('crowded.ts');
  });

  it('fails on a promise nobody awaits', async () => {
    const file = plant(
      'common/http/floating.ts',
      'export function fire(job: () => Promise<void>): void {\n  job();\n}\n',
    );

    const result = await lint(tree, 'lint:code', file);

    expect(result.failed).toBe(true);
    expect(result.output).toContain('@typescript-eslint/no-floating-promises');
  });

  it('passes the copied source as it is', async () => {
    rmSync(join(tree, SRC, 'common/http/crowded.ts'));
    rmSync(join(tree, SRC, 'common/http/floating.ts'));

    const layers = await lint(tree, 'lint:layers');

    expect(layers).toEqual({ failed: false, output: expect.stringContaining('no dependency violations') });
  });
});
