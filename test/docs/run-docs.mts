/**
 * Runs the commands shown in docs/*.md, README.md, docs/reference/*.md,
 * bench/README.md and CONTRIBUTING.md, in that order, against a stack the docs
 * start themselves, and checks the output each one shows (`npm run test:docs`).
 *
 * test/docs/README.md is the note for doc authors and for whoever changes the
 * runner. Which commands a page holds, what its directives say and how output
 * is matched live in doc-commands.ts, with specs of their own; this file does
 * the running: one bash after another from the repository root, exported
 * variables carried from each command to the next as in one terminal, and the
 * stack taken down before and after.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compose, quietly } from '../support/docker.ts';
import { PROJECTS } from '../support/projects.ts';
import { DocError, ELLIPSIS, missingLines, parseDoc, stripAnsi, type Command } from './doc-commands.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCS_DIR = join(ROOT, 'docs');
const REFERENCE_DIR = join(DOCS_DIR, 'reference');
/** compose.yaml's own `name:` and default PROXY_PORT: the docs show the defaults. */
const PROJECT = PROJECTS.docs;
const PROXY_PORT = 5000;
const CLEANUP_TIMEOUT_S = 60;
const OUTPUT_TAIL_LINES = 40;

interface Outcome {
  readonly code: number | null;
  readonly output: string;
  readonly timedOut: boolean;
  readonly seconds: number;
}

/** Same defaults for every reader: no inherited project, file, port or seed folder. */
const UNSET = ['COMPOSE_PROJECT_NAME', 'COMPOSE_FILE', 'COMPOSE_PROFILES', 'PROXY_PORT', 'SEED_DIR', 'LOG_LEVEL'];
function docsEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of UNSET) delete env[name];
  return env;
}
const ENV = docsEnvironment();

/**
 * The shell that runs each command: bash, or with DOCS_SHELL=dash or
 * DOCS_SHELL=busybox a smaller POSIX one, as a stand-in for the shells and
 * userlands of macOS and Git Bash. A smaller shell gets busybox's tools
 * alone on PATH, beside the programs a learner installs for the pages
 * (docker, curl) and the bash and openssl that the repository's own scripts
 * name in their first line; a command that needs GNU's options then fails.
 */
const SHELLS: Record<string, readonly string[]> = { bash: ['bash'], dash: ['dash'], busybox: ['busybox', 'sh'] };
const SHELL_NAME = process.env.DOCS_SHELL ?? 'bash';
const SHELL = SHELLS[SHELL_NAME];
const INSTALLED_FOR_THE_PAGES = ['docker', 'curl', 'bash', 'openssl'];

/** Where `program` is on this process's PATH. */
const which = (program: string) =>
  execFileSync('sh', ['-c', 'command -v "$1"', 'sh', program], { encoding: 'utf8' }).trim();

/** A folder of busybox's applets and the programs above, for PATH; made once, removed with the shell state. */
function posixTools(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  execFileSync('busybox', ['--install', '-s', bin]);
  for (const program of INSTALLED_FOR_THE_PAGES) {
    rmSync(join(bin, program), { force: true });
    symlinkSync(which(program), join(bin, program));
  }
  return bin;
}

/**
 * The exported variables of the commands run so far, as `export -p` wrote
 * them, in a directory of the runner's own (mkdtemp makes it 0700): the docs
 * keep API keys in variables, and the file is removed when the run ends.
 */
let stateFile: string | undefined;

function openShellState(): string {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-docs-shell-'));
  stateFile = join(dir, 'exports.sh');
  writeFileSync(stateFile, '', { mode: 0o600 });
  return dir;
}

/**
 * Runs a command as the next line typed into one terminal: the exports of
 * the commands before it are sourced first, and its own are written back on
 * the way out, whatever its status. The shell's own bookkeeping (PWD, SHLVL,
 * `_`) is left out, so a `cd` does not carry, as it would not in a fresh tab.
 * The state file's path and the command reach bash as arguments, never as
 * part of the script, so no quoting can break them.
 */
const WRAPPER = [
  '__docs_state=$1; __docs_command=$2; shift 2',
  '. "$__docs_state"',
  // bash writes `declare -x NAME=…`, dash and busybox `export NAME=…`.
  `trap 'export -p | grep -Ev "^(declare -x|export) (PWD|OLDPWD|SHLVL|_)(=|\\$)" >"$__docs_state"' EXIT`,
  'eval "$__docs_command"',
].join('\n');

let running: ReturnType<typeof spawn> | undefined;
let shellPath: string | undefined;

/** Runs `text` in SHELL from the repository root, with no stdin, killed (whole process group) after `timeoutS`. */
function sh(text: string, timeoutS: number): Promise<Outcome> {
  const started = Date.now();
  const [name, ...shellArgs] = SHELL;
  // By its path, found on this process's PATH: the smaller shells' PATH holds no shell but busybox's.
  const program = (shellPath ??= which(name));
  const args = [...shellArgs, ...(stateFile ? ['-c', WRAPPER, 'docs', stateFile, text] : ['-c', text])];
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running = child;
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    let timedOut = false;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 5_000).unref();
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      running = undefined;
      resolve({
        code,
        output: Buffer.concat(chunks).toString('utf8'),
        timedOut,
        seconds: (Date.now() - started) / 1000,
      });
    });
  });
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 1_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** An API key in a failed command's output is shown as its prefix only: the log of a CI run is not a secret store. */
const API_KEY = /acckey_[0-9a-f]+/g;

function tail(output: string): string {
  const lines = stripAnsi(output)
    .replace(API_KEY, `acckey_${ELLIPSIS}`)
    .trimEnd()
    .split(/\r\n|\r|\n/);
  const shown = lines.slice(-OUTPUT_TAIL_LINES);
  const cut = lines.length > shown.length ? [`    … (${lines.length - shown.length} earlier lines)`] : [];
  return [...cut, ...shown.map((l) => `    | ${l}`)].join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\\\n\s*/g, '').replace(/\n/g, ' ');
}

const log = (text: string) => process.stdout.write(`${text}\n`);

/**
 * Every page, or only the pages named on the command line (`npm run
 * test:docs -- docs/10-beyond-one-machine.md`), which then start from what
 * the pages before them would have left, such as the images of pages 1 and 2.
 */
function loadCommands(pages: readonly string[]): Command[] {
  const all = [
    // Each chapter starts the stack it needs and leaves the project down with its volumes.
    ...markdownIn(DOCS_DIR),
    // The README's quick tour expects that, and leaves its stack up on a fresh store.
    join(ROOT, 'README.md'),
    // Then the reference pages use that stack: api.md first, as the transfer ids
    // it shows are those of a store the seed alone has written to.
    ...markdownIn(REFERENCE_DIR),
    join(ROOT, 'bench', 'README.md'),
    join(ROOT, 'CONTRIBUTING.md'),
  ];
  const named = pages.map((page) => join(ROOT, page));
  const unknown = named.filter((page) => !all.includes(page));
  if (unknown.length > 0)
    throw new DocError(
      `no such page: ${unknown.map((page) => relative(ROOT, page)).join(', ')}; ` +
        'name files under docs/ or docs/reference/, README.md, bench/README.md or CONTRIBUTING.md',
    );
  const files = named.length > 0 ? all.filter((f) => named.includes(f)) : all;
  return files.flatMap((f) => parseDoc(relative(ROOT, f), readFileSync(f, 'utf8')));
}

/** The Markdown files of one folder, sorted by name, as the chapters' numbers order them. */
function markdownIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join(dir, f));
}

/** Containers the docs start by name outside compose; a run cut short must not leave them behind. */
function namedContainers(commands: readonly Command[]): string[] {
  const names = new Set<string>();
  for (const c of commands) {
    if (!/\bdocker (container )?run\b/.test(c.text)) continue;
    for (const m of c.text.matchAll(/--name[ =]([\w.-]+)/g)) names.add(m[1]);
  }
  return [...names];
}

/** Back to nothing: the docs' own teardown, then compose and named containers, whatever the docs say. */
async function cleanUp(commands: readonly Command[]): Promise<void> {
  for (const c of commands.filter((c) => c.teardown && !c.skipReason)) await sh(c.text, CLEANUP_TIMEOUT_S);
  const cleanUpOptions = {
    cwd: ROOT,
    env: Object.fromEntries(UNSET.map((name) => [name, undefined])),
    timeoutMs: CLEANUP_TIMEOUT_S * 1000,
  };
  await compose(['down', '--volumes', '--remove-orphans', '--timeout', '5'], {
    ...cleanUpOptions,
    project: PROJECT,
    quiet: true,
  });
  const names = namedContainers(commands);
  if (names.length > 0) await quietly(['rm', '--force', ...names], cleanUpOptions);
}

async function main(): Promise<number> {
  if (!SHELL) {
    log(`docs: DOCS_SHELL=${SHELL_NAME} is not one of ${Object.keys(SHELLS).join(', ')}`);
    return 1;
  }
  let commands: Command[];
  try {
    commands = loadCommands(process.argv.slice(2));
  } catch (error) {
    if (error instanceof DocError) {
      log(`docs: ${error.message}`);
      return 1;
    }
    throw error;
  }
  if (commands.length === 0) {
    log('docs: no ```console commands found in the pages');
    return 1;
  }

  // A signal stops the command that is running; the loop then ends and the finally block tears down.
  let stoppedBy: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals) => {
    stoppedBy = signal;
    log(`\ndocs: ${signal}, stopping`);
    if (running?.pid) {
      try {
        process.kill(-running.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const stateDir = openShellState();
  if (SHELL_NAME !== 'bash') ENV.PATH = posixTools(stateDir);
  try {
    return await runAll(commands, () => stoppedBy);
  } finally {
    stateFile = undefined;
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function runAll(commands: readonly Command[], stoppedBy: () => NodeJS.Signals | undefined): Promise<number> {
  log(
    `docs: ${commands.length} commands in the docs, the READMEs and CONTRIBUTING.md, run by ${SHELL.join(' ')}; ` +
      `starting from a clean project ${PROJECT}`,
  );
  await cleanUp(commands);
  if (await portInUse(PROXY_PORT)) {
    log(`docs: 127.0.0.1:${PROXY_PORT} is already in use; the docs publish the proxy there. Free it and run again.`);
    return 1;
  }

  let ran = 0;
  let failed = 0;
  const skipped = new Map<string, number>();
  try {
    for (const c of commands) {
      if (stoppedBy()) break;
      const where = `${c.file}:${c.line}`;
      if (c.skipReason) {
        skipped.set(c.skipReason, (skipped.get(c.skipReason) ?? 0) + 1);
        log(`skip ${where} $ ${oneLine(c.text)}\n     (not run: ${c.skipReason})`);
        continue;
      }
      log(`run  ${where} $ ${oneLine(c.text)}`);
      const result = await sh(c.text, c.timeoutS);
      if (stoppedBy()) break;
      ran++;
      const problems: string[] = [];
      if (result.timedOut) problems.push(`timed out after ${c.timeoutS} s`);
      else if (result.code !== 0) problems.push(`exit status ${result.code}`);
      const missing = missingLines(c.expected, result.output);
      if (missing.length > 0) problems.push(`output lacks:\n${missing.map((l) => `      ${l}`).join('\n')}`);
      if (problems.length === 0) {
        log(`     ok (${result.seconds.toFixed(1)} s)`);
      } else {
        failed++;
        log(
          `     FAILED (${result.seconds.toFixed(1)} s): ${problems.join('; ')}\n    output:\n${tail(result.output)}`,
        );
      }
    }
  } finally {
    log('docs: tearing down');
    await cleanUp(commands);
  }

  const reasons = [...skipped].map(([reason, n]) => `${n} × ${reason}`).join('; ');
  const skippedCount = [...skipped.values()].reduce((a, b) => a + b, 0);
  log(
    `docs: ${ran} of ${commands.length} commands run, ${skippedCount} skipped` +
      `${reasons ? ` (${reasons})` : ''}, ${failed} failed`,
  );
  if (stoppedBy()) return 130;
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
