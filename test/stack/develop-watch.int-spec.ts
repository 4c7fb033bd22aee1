import type { ChildProcess } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compose, composeArgs, dockerProcess, REPO_ROOT, run, type ComposeOptions } from '../support/docker.ts';
import { PROJECTS } from '../support/projects.ts';

/** Its own project: `docker compose watch` rebuilds from a copy that this test edits. */
const PROJECT = PROJECTS.watch;
const SOURCE_DIR = 'apps/accounts-api/src';
/** Part of the 405 message for `GET /`, the text the test changes. */
const MESSAGE_PART = 'is not allowed; use';
const WATCH_READY = /watch enabled/i;
// A rebuild compiles the api again inside the image build.
const SERVED_WITHIN_MS = 180_000;
const POLL_EVERY_MS = 2_000;
const REQUEST_TIMEOUT_MS = 5_000;

/** The working tree as it is now, committed or not (ignored files left out), in a private folder. */
async function copyWorkingTree(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-watch-'));
  // The api runs as `node` and reads the seed bind mount from inside this folder.
  chmodSync(dir, 0o755);
  const stdout = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  for (const file of new Set(stdout.split('\0').filter(Boolean))) {
    const from = join(REPO_ROOT, file);
    // Still listed by git, already deleted in the working tree.
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(from, join(dir, file));
  }
  // Images of their own: a rebuild of the edited copy must never replace the
  // accounts-stack/*:dev images that other stacks on this engine run.
  writeFileSync(
    join(dir, 'compose.watch-test.yaml'),
    `services:\n  api:\n    image: ${PROJECT}/api:dev\n  proxy:\n    image: ${PROJECT}/proxy:dev\n`,
  );
  return dir;
}

/** The file under the api's sources that holds the text, spec files aside. */
function fileContaining(root: string, text: string): string {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? walk(join(dir, e.name))
        : e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')
          ? [join(dir, e.name)]
          : [],
    );
  const hits = walk(join(root, SOURCE_DIR)).filter((f) => readFileSync(f, 'utf8').includes(text));
  if (hits.length !== 1) throw new Error(`expected one file under ${SOURCE_DIR} with "${text}", found ${hits.length}`);
  return hits[0];
}

describe('docker compose watch', () => {
  let dir: string;
  let baseUrl: string;
  let watch: ChildProcess | undefined;
  let watchOutput = '';

  // The copy's own compose.yaml, with none of this shell's project, files or seed folder.
  const onCopy = (): ComposeOptions => ({
    project: PROJECT,
    files: ['compose.yaml', 'compose.watch-test.yaml'],
    cwd: dir,
    env: {
      PROXY_PORT: '0',
      PROXY_TLS_PORT: '0',
      COMPOSE_PROJECT_NAME: undefined,
      COMPOSE_FILE: undefined,
      SEED_DIR: undefined,
    },
  });
  const getRoot = async () => {
    const res = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return { status: res.status, body: (await res.json()) as { message?: string } };
  };

  beforeAll(async () => {
    dir = await copyWorkingTree();
    // A run killed half-way leaves its stack behind.
    await compose(['down', '--volumes', '--remove-orphans', '--timeout', '5'], onCopy());
    // Its own images, built from the copy: the build is most of the hook's time.
    await compose(['up', '--detach', '--wait'], { ...onCopy(), timeoutMs: 540_000 });
    const published = (await compose(['port', 'proxy', '8080'], onCopy())).trim();
    baseUrl = `http://127.0.0.1:${published.slice(published.lastIndexOf(':') + 1)}`;
  }, 600_000);

  afterAll(async () => {
    if (watch?.pid && watch.exitCode === null) {
      // Detached: the group holds compose and the build it may have started.
      process.kill(-watch.pid, 'SIGINT');
      const exited = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 15_000);
        watch?.once('exit', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (!exited) process.kill(-watch.pid, 'SIGKILL');
    }
    if (dir) {
      await compose(['down', '--volumes', '--remove-orphans', '--rmi', 'all', '--timeout', '5'], {
        ...onCopy(),
        quiet: true,
      });
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it(
    'serves an edited source file after the rebuild it triggers, through the proxy',
    async () => {
      const before = await getRoot();
      expect(before.status).toBe(405);
      expect(before.body.message).toBe('GET / is not allowed; use POST or OPTIONS');

      watch = dockerProcess(composeArgs(['watch'], onCopy()), onCopy());
      const ready = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 120_000);
        const onData = (chunk: Buffer) => {
          watchOutput += chunk.toString();
          if (WATCH_READY.test(watchOutput)) {
            clearTimeout(timer);
            resolve(true);
          }
        };
        watch?.stdout?.on('data', onData);
        watch?.stderr?.on('data', onData);
        watch?.once('exit', () => {
          clearTimeout(timer);
          resolve(false);
        });
      });
      if (!(await ready)) throw new Error(`docker compose watch never reported that it was watching:\n${watchOutput}`);

      const marker = `watch-${Date.now()}`;
      const source = fileContaining(dir, MESSAGE_PART);
      writeFileSync(source, readFileSync(source, 'utf8').replace(MESSAGE_PART, `is not allowed (${marker}); use`));

      // Until the rebuilt container answers, requests get the old text, a 502 or no answer at all.
      let last: { status: number; body: { message?: string } } | string = 'no request yet';
      const deadline = Date.now() + SERVED_WITHIN_MS;
      for (let attempt = 0; attempt < SERVED_WITHIN_MS / POLL_EVERY_MS && Date.now() < deadline; attempt++) {
        last = await getRoot().catch((error: Error) => error.message);
        if (typeof last !== 'string' && last.body.message?.includes(marker)) break;
        await new Promise((r) => setTimeout(r, POLL_EVERY_MS));
      }

      if (typeof last === 'string' || !last.body.message?.includes(marker)) {
        const watchTail = watchOutput.trimEnd().split('\n').slice(-30).join('\n');
        throw new Error(
          `the edit was not served within ${SERVED_WITHIN_MS} ms; last answer: ${JSON.stringify(last)}\n` +
            `docker compose watch said:\n${watchTail}`,
        );
      }
      expect(last).toEqual({
        status: 405,
        body: expect.objectContaining({ message: `GET / is not allowed (${marker}); use POST or OPTIONS` }),
      });
    },
    SERVED_WITHIN_MS + 180_000,
  );
});
